#include "support/catch.h"

#include "pgseed/cli/arguments.h"
#include "pgseed/error.h"

#include <cstdlib>
#include <set>
#include <sstream>

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
  CHECK(usage_code_of({"dump", "--compress", "20"}) == ExitCode::usage);  // zstd levels end at 19
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

TEST_CASE("help for a command: pgseed help CMD, pgseed CMD help", "[unit][cli]") {
  ::unsetenv("DATABASE_URL");
  for (const char* command : {"migrate", "seed", "dump", "restore", "verify"}) {
    INFO(command);
    const auto prefix = cli::parse_arguments({"help", command});
    CHECK(prefix.action == cli::Action::help);
    CHECK(prefix.command == command);
    const auto suffix = cli::parse_arguments({command, "help"});
    CHECK(suffix.action == cli::Action::help);
    CHECK(suffix.command == command);
  }
  CHECK(cli::parse_arguments({"restore", "--yes", "help"}).action == cli::Action::help);
  // `pgseed` alone is not a request for help: a script that lost its command must not succeed.
  CHECK(cli::parse_arguments({}).action == cli::Action::missing_command);
  CHECK(usage_code_of({"help", "frobnicate"}) == ExitCode::usage);
  CHECK(cli::parse_arguments({"help", "help"}).command.empty());  // the top-level help
  // A dump really named help stays reachable; help next to another positional is not help.
  const auto after_dashes = cli::parse_arguments({"restore", "--", "help"});
  CHECK(after_dashes.action == cli::Action::run);
  CHECK(*after_dashes.settings.dump == "help");
  CHECK(*cli::parse_arguments({"verify", "./help"}).settings.dump == "./help");
  CHECK(usage_code_of({"restore", "help", "other.dump"}) == ExitCode::usage);
}

namespace {
// The column where the description starts on each indented two-column line of a help section.
std::set<std::size_t> description_columns(const std::string& help, const std::string& section) {
  std::set<std::size_t> columns;
  std::istringstream lines(help.substr(help.find(section + ":\n") + section.size() + 2));
  std::string line;
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
    // The description starts after the first gap of two or more spaces that follows the name;
    // a continuation line has no such gap.
    const auto gap = line.find("  ", line.find_first_not_of(' '));
    if (gap == std::string::npos) continue;
    columns.insert(line.find_first_not_of(' ', gap));
  }
  return columns;
}
}  // namespace

TEST_CASE("help columns line up", "[unit][cli]") {
  CHECK(description_columns(cli::top_level_help(), "commands").size() == 1);
  CHECK(description_columns(cli::top_level_help(), "environment").size() == 1);
  CHECK(description_columns(cli::top_level_help(), "exit codes").size() == 1);
  for (const char* command : {"migrate", "seed", "dump", "restore", "verify"}) {
    INFO(command);
    CHECK(description_columns(cli::command_help(command), "options").size() == 1);
  }
  // Every exit code is in the help, with the cancellation under 5.
  const std::string help = cli::top_level_help();
  for (const char* code : {"\n  0 ", "\n  1 ", "\n  2 ", "\n  3 ", "\n  4 ", "\n  5 ", "\n  130 "})
    CHECK(help.find(code) != std::string::npos);
  CHECK(help.find("cancelled") != std::string::npos);
}
