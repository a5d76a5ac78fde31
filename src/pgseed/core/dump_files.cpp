#include "pgseed/core/dump_files.h"

#include "pgseed/core/names.h"

namespace pgseed::core {
namespace fs = std::filesystem;

std::string versioned_dump_stem(const std::string& environment, const std::string& short_commit,
                                util::SystemTime time, const std::string& run_token) {
  return environment + "-seeded-v" + short_commit + "-" + util::compact_utc(time) + "-" + run_token;
}

std::string latest_dump_stem(const std::string& environment) { return environment + "-seeded-latest"; }

fs::path latest_dump_path(const fs::path& dump_directory, const std::string& environment) {
  // Every command that finds a dump by environment comes through here: the name is checked once.
  check_name("environment", environment);
  return dump_directory / (latest_dump_stem(environment) + dump_extension);
}

namespace {
std::string dump_stem(const fs::path& dump_path) {
  std::string name = dump_path.filename().string();
  const std::string extension = dump_extension;
  if (name.size() > extension.size() && name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
    name.resize(name.size() - extension.size());
  }
  return name;
}
}  // namespace

fs::path metadata_path_for(const fs::path& dump_path) {
  return dump_path.parent_path() / (dump_stem(dump_path) + metadata_extension);
}

fs::path physical_path_for(const fs::path& dump_path) {
  return dump_path.parent_path() / (dump_stem(dump_path) + physical_extension);
}

}  // namespace pgseed::core
