// What a command needs from the command line and the environment, already parsed and checked.
#pragma once

#include "pgseed/core/seed/profile.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::commands {

struct Settings {
  // From --database-url, --database-url-file or DATABASE_URL. Empty: the embedded cluster.
  std::optional<std::string> database_url;
  std::filesystem::path project_directory = ".";
  std::filesystem::path dump_directory;  // empty: <project>/dumps
  std::string environment = "dev";
  std::optional<std::filesystem::path> dump;  // restore/verify: the dump to use; default the latest link
  bool assume_yes = false;                     // --yes
  bool force = false;                          // --force: terminate connected sessions
  bool allow_empty = false;                    // --allow-empty
  bool json = false;                           // --json
  int jobs = 0;                                // --jobs; 0 = one per core
  int compression = 1;                         // --compress
  std::vector<std::string> count_settings;     // --set table=N, as given
  std::optional<double> scale;                 // --scale F
  bool clear = false;                          // seed --clear
  bool dry_run = false;                        // seed --dry-run
  // Guards and the day-to-day commands (status, protect).
  bool allow_protected = false;                 // --allow-protected
  std::optional<std::string> confirm_name;      // --confirm-name NAME
  bool off = false;                             // protect --off
  std::filesystem::path snapshot_directory;     // --snapshot-dir / PGSEED_SNAPSHOT_DIR; empty: <project>/.pgseed/snapshots
};

// --set and --scale as the seed engine takes them. Throws Error(usage) for a malformed --set.
core::seed::CountOverrides count_overrides(const Settings& settings);

// The dump that restore and verify work on: the one named, or the environment's latest link.
std::filesystem::path dump_to_use(const Settings& settings);

}  // namespace pgseed::commands
