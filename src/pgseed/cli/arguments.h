// The command line: which command, and its Settings.
#pragma once

#include "pgseed/commands/settings.h"

#include <string>
#include <vector>

namespace pgseed::cli {

// missing_command: `pgseed` alone. It prints the help like --help, but to stderr and with exit 2,
// so that a script that lost its command word does not read as a success.
enum class Action { run, help, version, missing_command };

struct Invocation {
  Action action = Action::run;
  std::string command;  // empty with Action::help means the top-level help
  commands::Settings settings;
  bool quiet = false;
};

// Throws pgseed::Error(usage) naming the offending argument. Reads DATABASE_URL, PGSEED_ENVIRONMENT
// and PGSEED_DUMP_DIR; the command line wins over them.
Invocation parse_arguments(const std::vector<std::string>& arguments);

std::string top_level_help();
std::string command_help(const std::string& command);
bool is_command(const std::string& name);

}  // namespace pgseed::cli
