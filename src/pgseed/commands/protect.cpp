#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_protect(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  const std::string database = target.connection().database();
  const auto admin = core::connect_maintenance(target.connection());
  if (admin->query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin->quote_literal(database)) == "0") {
    throw Error(ExitCode::database, "database " + database + " does not exist, so it cannot be " +
                                        (settings.off ? "unprotected" : "protected"),
                "pgseed status shows what is on the server");
  }
  // Set on the database itself, not in a file of this project: every machine and every user that
  // reaches the database sees the mark, and it survives until someone removes it on purpose.
  core::set_database_protected(*admin, database, !settings.off);
  if (core::database_marked_protected(*admin, database) == settings.off) {
    throw Error(ExitCode::database, "database " + database + " did not take the " + core::protected_setting + " setting");
  }
  if (settings.off) {
    out << "protect: database " << database << " is no longer marked protected\n";
    // The mark is one reason among three; say when another still protects it.
    if (core::is_production_environment(settings.environment)) {
      reporter.warning("the environment " + settings.environment + " still protects every target");
    }
    if (core::protected_by_environment_variable()) reporter.warning("PGSEED_PROTECTED still protects every target");
  } else {
    out << "protect: database " << database << " is protected (" << core::protected_setting
        << " = on): restore, reset, seed --clear and clean --all refuse it without --allow-protected and its name\n";
  }
  return 0;
}

}  // namespace pgseed::commands
