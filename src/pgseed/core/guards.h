// The guards in front of every command that destroys data: restore, reset, seed --clear, clean --all.
//
// A target is protected when
//   - its database carries the setting pgseed.protected = on (`pgseed protect`), which lives in the
//     server's catalog (pg_db_role_setting) with the database, so every machine and every user that
//     reaches the database sees the mark;
//   - the environment is `production` or `prod` (any case);
//   - PGSEED_PROTECTED is 1 (or true/yes/on) in the environment of the run.
// A protected target is refused with exit 5 unless the run has --allow-protected AND the database's
// name: typed at the prompt on a terminal, or --confirm-name NAME without one. Two independent
// things, because each alone is what gets copied from shell history or a CI file by mistake.
//
// Separately, confirm_destructive() is the question every destructive command asks. A database on
// this machine gets y/N (or --yes). A database elsewhere gets the typed-name question, and --yes alone
// is not enough for it: it needs --confirm-name too. --yes is what scripts and shell history carry
// from one DATABASE_URL to the next; a name is tied to the one database it was written for.
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/database.h"

#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

inline constexpr const char* protected_setting = "pgseed.protected";

struct GuardOptions {
  bool allow_protected = false;              // --allow-protected
  std::optional<std::string> confirm_name;   // --confirm-name NAME
};

// `production` or `prod`, in any case.
bool is_production_environment(const std::string& environment);
// PGSEED_PROTECTED is 1, true, yes or on (any case).
bool protected_by_environment_variable();

// Whether `database` carries pgseed.protected with a true value, read from pg_db_role_setting (the
// database-wide setting, role 0) through `admin`, a connection to any database of the server.
// false for a database that does not exist.
bool database_marked_protected(pg::Connection& admin, const std::string& database);
// ALTER DATABASE ... SET pgseed.protected = on, or RESET it.
void set_database_protected(pg::Connection& admin, const std::string& database, bool protect);

// Why the target is protected, one phrase per reason ("it is marked protected (pgseed protect)",
// "the environment is production", "PGSEED_PROTECTED=1"); empty when it is not. Connects to the
// server's maintenance database to read the mark.
std::vector<std::string> protection_reasons(const pg::ConnInfo& target, const std::string& environment);

// Call before touching anything. Throws Error(ExitCode::refused) (exit 5) naming the database and
// why it is protected, unless the override is complete. Returns true when the target is protected
// and the override was given: the caller then knows the name was confirmed, which is a stronger
// answer than any y/N question it would ask next.
bool check_not_protected(const pg::ConnInfo& target, const std::string& environment, const GuardOptions& options,
                         Reporter& reporter);

// Whether the target is on this machine: a unix socket (no host, a path, an abstract socket),
// localhost, 127.0.0.0/8 or ::1 (also written [::1] or as IPv4-mapped ::ffff:127.x.x.x). hostaddr wins
// over host, as it does in libpq; PGHOST/PGHOSTADDR count when the string has neither. With several
// hosts every one must be local. Anything else is remote, including this machine's own LAN address
// and names that merely end in .localhost: the safe mistake is to ask too much.
bool is_local_target(const pg::ConnInfo& target);

// The question a destructive command asks before it acts on `target`. Throws Error(refused):
//   local target:  --yes or a matching --confirm-name passes; on a terminal y/N `question`;
//                  otherwise refused ("pass --yes").
//   remote target: a matching --confirm-name passes; on a terminal the database name must be typed
//                  (--yes does not skip this); otherwise refused ("pass --confirm-name NAME").
// A --confirm-name that does not match the database is refused in both cases.
void confirm_destructive(const pg::ConnInfo& target, const std::string& question, bool assume_yes, Reporter& reporter,
                         const std::optional<std::string>& confirm_name = std::nullopt);

}  // namespace pgseed::core
