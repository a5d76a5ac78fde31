// Where a project's migrations, seeds and dumps are, and which git commit they come from.
#pragma once

#include <filesystem>
#include <string>

namespace pgseed::core {

struct ProjectLayout {
  std::filesystem::path root;
  std::filesystem::path migrations_directory;  // root/migrations
  std::filesystem::path seeds_directory;       // root/seeds
  std::filesystem::path dump_directory;        // root/dumps unless configured

  static ProjectLayout at(const std::filesystem::path& root, const std::filesystem::path& dump_directory = {});
};

struct SourceVersion {
  std::string commit = "unknown";  // full hash, or "unknown" outside git
  bool dirty = false;              // uncommitted changes under migrations/ or seeds/
  bool in_git = false;
  std::string short_commit() const { return in_git ? commit.substr(0, 7) : "unknown"; }
};

// Asks git about the project. Outside a repository (or without git) it returns "unknown".
SourceVersion read_source_version(const ProjectLayout& project);

}  // namespace pgseed::core
