#include "pgseed/commands/settings.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/project.h"
#include "pgseed/error.h"
#include "pgseed/util/unique_name.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace pgseed::commands {

core::seed::CountOverrides count_overrides(const Settings& settings) {
  core::seed::CountOverrides overrides;
  for (const auto& text : settings.count_settings) {
    auto [table, count] = core::seed::parse_count_setting(text);
    overrides.exact[table] = count;  // the last --set for a table wins
  }
  overrides.scale = settings.scale;
  return overrides;
}

std::filesystem::path dump_to_use(const Settings& settings) {
  if (settings.dump) return *settings.dump;
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const auto latest = core::latest_dump_path(project.dump_directory, settings.environment);
  std::error_code error;
  if (settings.sharing == core::Sharing::externaldata && !std::filesystem::exists(std::filesystem::symlink_status(latest, error))) {
    const auto link = core::content_link_path(project.dump_directory, settings.environment);
    if (std::filesystem::exists(link, error)) {
      const std::string hash = core::read_content_link(link);
      for (const auto& store : sharing_options(settings).local_stores()) {
        const auto object = core::object_path(store, hash);
        if (std::filesystem::exists(object, error)) return object;
      }
    }
  }
  return latest;
}

core::SharingOptions sharing_options(const Settings& settings) {
  core::SharingOptions options;
  options.mode = settings.sharing;
  for (const auto& store : settings.object_stores) options.object_stores.emplace_back(store);
  options.url_templates = settings.url_templates;
  return options;
}

std::filesystem::path metadata_to_use(const Settings& settings, const std::filesystem::path& dump) {
  if (!settings.metadata.empty()) return settings.metadata;
  std::error_code error;
  const auto real = std::filesystem::canonical(dump, error);
  if (error || !core::is_store_object(real)) return {};
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  return core::metadata_path_for(core::latest_dump_path(project.dump_directory, settings.environment));
}

namespace {

namespace fs = std::filesystem;

std::string reason(const std::error_code& error) {
  std::string text = error.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string from_environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

void check_project_directory(const Settings& settings) {
  const fs::path& directory = settings.project_directory;
  std::error_code error;
  const auto status = fs::status(directory, error);
  if (!fs::exists(status)) {
    throw Error(ExitCode::usage, "project directory " + directory.string() + " does not exist",
                "-C (--project-dir) names the directory that holds migrations/ and seeds/");
  }
  if (!fs::is_directory(status)) {
    throw Error(ExitCode::usage, "project directory " + directory.string() + " is not a directory",
                "-C (--project-dir) names the directory that holds migrations/ and seeds/");
  }
}

void check_dump_directory(const fs::path& dump_directory) {
  const std::string hint = "--dump-dir (or PGSEED_DUMP_DIR) must name a directory pgseed can create and write";
  std::error_code error;
  // Find out by doing: create what is missing and a file in it, then remove the file. Permission bits
  // alone would say yes to root on /proc or on a read-only mount. The directories stay: the dump will
  // go there, and another run may be probing or writing in them at this very moment.
  if (fs::exists(dump_directory, error) && !fs::is_directory(dump_directory, error)) {
    throw Error(ExitCode::usage, "dump directory " + dump_directory.string() + " is not a directory", hint);
  }
  if (!fs::create_directories(dump_directory, error) && error) {
    throw Error(ExitCode::usage, "dump directory " + dump_directory.string() + " cannot be created: " + reason(error),
                hint);
  }
  const fs::path probe = dump_directory / (".pgseed-probe-" + util::random_hex(8));
  const bool writable = static_cast<bool>(std::ofstream(probe));
  const int write_errno = errno;
  fs::remove(probe, error);
  if (!writable) {
    throw Error(ExitCode::usage,
                "dump directory " + dump_directory.string() +
                    " is not writable: " + reason(std::error_code(write_errno, std::generic_category())),
                hint);
  }
}

std::string describe_server(const pg::ConnInfo& connection) {
  std::string host = connection.get("host").value_or(connection.get("hostaddr").value_or(from_environment("PGHOST")));
  std::string port = connection.get("port").value_or(from_environment("PGPORT"));
  if (port.empty()) port = "5432";
  if (host.empty()) return "the default local socket (port " + port + ")";
  if (host[0] == '/' || host[0] == '@') return "socket " + host + " (port " + port + ")";
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;  // IPv6
  return host + ":" + port;
}

std::string restore_question(const pg::ConnInfo& connection, const core::VerifyResult& dump) {
  std::string question = "Replace database " + connection.database() + " on " + describe_server(connection) + " with " +
                         dump.resolved_path.filename().string();
  if (dump.metadata) {
    const auto& metadata = *dump.metadata;
    const std::string version = metadata.version == "unknown" ? "unknown version"
                                                              : "version " + metadata.version.substr(0, 7);
    question += " (" + version + (metadata.dirty ? "+dirty" : "") + ", dumped " + metadata.timestamp + ")";
  }
  return question + "?";
}

std::string clear_question(const pg::ConnInfo& connection, const std::string& tables) {
  return "Empty " + tables + " (and tables that reference them) in database " + connection.database() + " on " +
         describe_server(connection) + " and seed again?";
}

}  // namespace pgseed::commands
