#include "support/catch.h"

#include "pgseed/cli/arguments.h"
#include "pgseed/error.h"

#include <cstdlib>

using namespace pgseed;

namespace {
ExitCode usage_code_of(const std::vector<std::string>& arguments) {
  try {
    cli::parse_arguments(arguments);
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::ok;
}
}  // namespace

TEST_CASE("restore options parse into settings", "[unit][cli]") {
  ::unsetenv("DATABASE_URL");
  const auto invocation =
      cli::parse_arguments({"restore", "--yes", "--force", "-j", "3", "--environment=staging", "my.dump"});
  CHECK(invocation.command == "restore");
  CHECK(invocation.settings.assume_yes);
  CHECK(invocation.settings.force);
  CHECK(invocation.settings.jobs == 3);
  CHECK(invocation.settings.environment == "staging");
  REQUIRE(invocation.settings.dump);
  CHECK(*invocation.settings.dump == "my.dump");
  CHECK(!invocation.settings.database_url);
  CHECK(cli::parse_arguments({"restore", "-j2"}).settings.jobs == 2);
  CHECK(cli::parse_arguments({"dump", "-Z0"}).settings.compression == 0);
}

TEST_CASE("the command line wins over DATABASE_URL", "[unit][cli]") {
  ::setenv("DATABASE_URL", "postgresql:///fromenv", 1);
  CHECK(*cli::parse_arguments({"migrate"}).settings.database_url == "postgresql:///fromenv");
  CHECK(*cli::parse_arguments({"migrate", "--database-url", "postgresql:///fromflag"}).settings.database_url ==
        "postgresql:///fromflag");
  // An explicit empty URL selects the embedded cluster even when the environment has one.
  CHECK(cli::parse_arguments({"migrate", "--database-url="}).settings.database_url->empty());
  ::unsetenv("DATABASE_URL");
}

TEST_CASE("bad command lines are usage errors", "[unit][cli]") {
  CHECK(usage_code_of({"frobnicate"}) == ExitCode::usage);
  CHECK(usage_code_of({"dump", "--no-such-option"}) == ExitCode::usage);
  CHECK(usage_code_of({"dump", "extra"}) == ExitCode::usage);
  CHECK(usage_code_of({"restore", "a.dump", "b.dump"}) == ExitCode::usage);
  CHECK(usage_code_of({"restore", "--jobs", "zero"}) == ExitCode::usage);
  CHECK(usage_code_of({"dump", "--compress", "12"}) == ExitCode::usage);
  CHECK(usage_code_of({"restore", "--jobs"}) == ExitCode::usage);
  CHECK(usage_code_of({"verify", "--yes"}) == ExitCode::usage);
}

TEST_CASE("every command has help", "[unit][cli]") {
  for (const char* command : {"migrate", "seed", "dump", "restore", "verify"}) {
    INFO(command);
    CHECK(cli::parse_arguments({command, "--help"}).action == cli::Action::help);
    CHECK(cli::command_help(command).find(std::string("usage: pgseed ") + command) != std::string::npos);
  }
  CHECK(cli::top_level_help().find("exit codes") != std::string::npos);
  CHECK(cli::parse_arguments({"--version"}).action == cli::Action::version);
}
