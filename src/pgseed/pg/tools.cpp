#include "pgseed/pg/tools.h"

#include "pgseed/error.h"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace pgseed::pg {
namespace fs = std::filesystem;

ToolVersion parse_tool_version(const std::string& version_output) {
  static const std::regex pattern(R"(\(PostgreSQL\)\s+((\d+)(\.\d+)?))");
  std::smatch match;
  if (!std::regex_search(version_output, match, pattern)) {
    throw Error(ExitCode::failure, "cannot read a PostgreSQL version from '" + version_output + "'");
  }
  return ToolVersion{match[1].str(), std::stoi(match[2].str())};
}

namespace {
bool has_pg_dump(const fs::path& directory) { return ::access((directory / "pg_dump").c_str(), X_OK) == 0; }
}  // namespace

PgTools PgTools::locate() {
  if (const char* configured = std::getenv("PGSEED_PG_BINDIR"); configured != nullptr && *configured != '\0') {
    if (!has_pg_dump(configured)) {
      throw Error(ExitCode::failure, std::string("PGSEED_PG_BINDIR ") + configured + " holds no pg_dump",
                  "point it at PostgreSQL's bin directory, e.g. /usr/lib/postgresql/15/bin");
    }
    return PgTools(configured);
  }
  if (const fs::path pg_config = util::find_in_path("pg_config"); !pg_config.empty()) {
    try {
      util::Command command;
      command.argv = {pg_config.string(), "--bindir"};
      const auto result = util::run_command(command);
      std::string directory = result.stdout_text;
      while (!directory.empty() && (directory.back() == '\n' || directory.back() == ' ')) directory.pop_back();
      if (result.ok() && has_pg_dump(directory)) return PgTools(directory);
    } catch (const std::system_error&) {
      // fall through to the well-known locations
    }
  }
  std::vector<std::pair<int, fs::path>> candidates;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit) && has_pg_dump(entry.path() / "bin")) {
      candidates.emplace_back(std::stoi(name), entry.path() / "bin");
    }
  }
  if (!candidates.empty()) return PgTools(std::max_element(candidates.begin(), candidates.end())->second);
  throw Error(ExitCode::failure, "cannot find PostgreSQL's programs (pg_dump, pg_restore, initdb)",
              "install postgresql-15 (scripts/bootstrap.sh) or set PGSEED_PG_BINDIR");
}

fs::path PgTools::program(const std::string& name) const {
  const fs::path path = bindir_ / name;
  if (::access(path.c_str(), X_OK) != 0) {
    throw Error(ExitCode::failure, "cannot find " + name + " in " + bindir_.string(),
                "set PGSEED_PG_BINDIR to a PostgreSQL bin directory that has it");
  }
  return path;
}

ToolVersion PgTools::version(const std::string& name) const {
  util::Command command;
  command.argv = {program(name).string(), "--version"};
  return parse_tool_version(util::run_command(command).stdout_text);
}

util::CommandResult PgTools::run_client(const std::string& name, const ConnInfo& connection,
                                        std::vector<std::string> arguments, std::function<void()> on_progress) const {
  util::Command command;
  command.argv = {program(name).string()};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.argv.push_back("--dbname=" + connection.argument_string());
  command.env = connection.secret_environment();
  // Our own PG* variables must not override what the connection string says.
  for (const char* variable : {"PGDATABASE", "PGSERVICE"}) command.env.emplace(variable, std::nullopt);
  command.on_progress = std::move(on_progress);
  util::CommandResult result = util::run_command(command);
  if (!result.ok()) {
    // The line that says what went wrong, not the CONTEXT or summary lines that follow it.
    std::string reason = result.last_error_line();
    std::istringstream lines(result.stderr_text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("ERROR:") != std::string::npos || line.find("FATAL:") != std::string::npos ||
          line.find(": error:") != std::string::npos) {
        reason = line;
        break;
      }
    }
    throw Error(ExitCode::failure, name + " failed: " + reason);
  }
  return result;
}

}  // namespace pgseed::pg
