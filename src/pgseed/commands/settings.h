// What a command needs from the command line and the environment, already parsed and checked.
#pragma once

#include "pgseed/core/seed/profile.h"
#include "pgseed/core/sharing.h"
#include "pgseed/core/verify.h"
#include "pgseed/pg/conninfo.h"

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
  bool physical = false;                       // dump --physical: also the data directory (.pgdata.tar.zst)
  std::vector<std::string> count_settings;     // --set table=N, as given
  std::optional<double> scale;                 // --scale F
  bool clear = false;                          // seed --clear
  bool dry_run = false;                        // seed --dry-run, prune --dry-run
  std::filesystem::path snapshot_directory;    // --snapshot-dir / PGSEED_SNAPSHOT_DIR; empty: <project>/.pgseed/snapshots
  bool no_wait = false;                        // --no-wait: fail when another run holds the target
  bool no_safety_snapshot = false;             // restore --no-safety-snapshot
  std::string note;                            // snapshot -m
  std::vector<std::string> tables;             // snapshot --table
  std::vector<std::string> excluded_tables;    // snapshot --exclude-table
  bool replace = false;                        // snapshot --replace
  // Guards and the day-to-day commands (status, protect).
  bool allow_protected = false;                 // --allow-protected
  std::optional<std::string> confirm_name;      // --confirm-name NAME
  bool off = false;                             // protect --off
  // list, prune, clean
  bool verify = false;                         // list --verify
  std::optional<int> keep;                     // prune --keep N
  bool snapshots = false;                      // prune --snapshots
  bool all = false;                            // clean --all
  bool yes_delete_everything = false;          // clean --all --yes-delete-everything
  // Sharing through ExternalData (core/sharing.h). Each list: the command line's, else the environment's.
  core::Sharing sharing = core::Sharing::lfs;  // --sharing / PGSEED_SHARING
  std::vector<std::string> object_stores;      // --object-store / PGSEED_OBJECT_STORES, ExternalData_OBJECT_STORES
  std::vector<std::string> url_templates;      // --url-template / PGSEED_URL_TEMPLATES
  std::filesystem::path metadata;              // verify/restore/reset --metadata: for a dump kept apart from it
  std::string publish_to;                      // publish --to STORE
};

core::SharingOptions sharing_options(const Settings& settings);

// The metadata to check dump_to_use() against: --metadata, or for a dump that is an object in a store
// (a file fetched by ExternalData links to one) the environment's latest metadata in the dump
// directory. Empty: the metadata beside the dump.
std::filesystem::path metadata_to_use(const Settings& settings, const std::filesystem::path& dump);

// --set and --scale as the seed engine takes them. Throws Error(usage) for a malformed --set.
core::seed::CountOverrides count_overrides(const Settings& settings);

// The dump that restore and verify work on: the one named, or the environment's latest link. With
// --sharing externaldata and no latest dump in the dump directory (a clone has only the content
// link): the object the content link names, from the first local store that has it.
std::filesystem::path dump_to_use(const Settings& settings);

// Checks before work, so that a typo costs a second and not a cluster start, a migrate and a seed.
// The project directory (-C) must exist and be a directory: Error(usage) otherwise, for every command.
void check_project_directory(const Settings& settings);
// The dump directory must be writable, or creatable where it does not exist yet: Error(usage) with a
// hint otherwise. Creates the directory (a dump goes there next) and leaves no probe file behind.
void check_dump_directory(const std::filesystem::path& dump_directory);

// Where a connection goes, for a question that must not be answered about the wrong server:
// "db.example.com:5433", "socket /tmp/pgseed-x (port 5432)", "the default local socket (port 5432)".
std::string describe_server(const pg::ConnInfo& connection);

// The confirmation questions of restore and seed --clear: the server, the database and, for restore,
// the dump's file, version (short git commit) and time, so that "y" is an informed answer.
std::string restore_question(const pg::ConnInfo& connection, const core::VerifyResult& dump);
std::string clear_question(const pg::ConnInfo& connection, const std::string& tables);

}  // namespace pgseed::commands
