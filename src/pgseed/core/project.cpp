#include "pgseed/core/project.h"

#include "pgseed/util/subprocess.h"

#include <algorithm>
#include <cctype>
#include <system_error>

namespace pgseed::core {
namespace fs = std::filesystem;

ProjectLayout ProjectLayout::at(const fs::path& root, const fs::path& dump_directory) {
  const fs::path absolute = fs::absolute(root).lexically_normal();
  ProjectLayout layout;
  layout.root = absolute;
  layout.migrations_directory = absolute / "migrations";
  layout.seeds_directory = absolute / "seeds";
  layout.dump_directory = dump_directory.empty() ? absolute / "dumps" : fs::absolute(dump_directory).lexically_normal();
  return layout;
}

namespace {
util::CommandResult git(const fs::path& root, std::vector<std::string> arguments) {
  util::Command command;
  command.argv = {"git", "-C", root.string()};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  return util::run_command(command);
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}
}  // namespace

SourceVersion read_source_version(const ProjectLayout& project) {
  SourceVersion version;
  try {
    const auto head = git(project.root, {"rev-parse", "--verify", "HEAD"});
    if (!head.ok()) return version;
    version.commit = trimmed(head.stdout_text);
    version.in_git = version.commit.size() >= 7;
    if (!version.in_git) {
      version.commit = "unknown";
      return version;
    }
    std::vector<std::string> status_arguments = {"status", "--porcelain", "--"};
    for (const fs::path& directory : {project.migrations_directory, project.seeds_directory}) {
      status_arguments.push_back(directory.string());
    }
    const auto status = git(project.root, status_arguments);
    version.dirty = !status.ok() || !trimmed(status.stdout_text).empty();
  } catch (const std::system_error&) {
    // git is not installed: same as outside a repository
  }
  return version;
}

}  // namespace pgseed::core
