// pgseed's entry point: parse, dispatch, and the one place where errors become exit codes.
#include "pgseed/cli/arguments.h"
#include "pgseed/cli/console.h"
#include "pgseed/commands/commands.h"
#include "pgseed/error.h"
#include "pgseed/util/interrupt.h"

#include <iostream>
#include <system_error>

namespace {

int dispatch(const pgseed::cli::Invocation& invocation) {
  using namespace pgseed;
  if (invocation.action == cli::Action::version) {
    std::cout << "pgseed " << PGSEED_VERSION << "\n";
    return 0;
  }
  if (invocation.action == cli::Action::help) {
    std::cout << (invocation.command.empty() ? cli::top_level_help() : cli::command_help(invocation.command));
    return 0;
  }
  cli::ConsoleReporter reporter(invocation.quiet);
  const auto& settings = invocation.settings;
  const std::string& command = invocation.command;
  if (command == "migrate") return commands::run_migrate(settings, reporter, std::cout);
  if (command == "seed") return commands::run_seed(settings, reporter, std::cout);
  if (command == "dump") return commands::run_dump(settings, reporter, std::cout);
  if (command == "restore") return commands::run_restore(settings, reporter, std::cout);
  if (command == "verify") return commands::run_verify(settings, reporter, std::cout);
  if (command == "up") return commands::run_up(settings, reporter, std::cout);
  if (command == "down") return commands::run_down(settings, reporter, std::cout);
  if (command == "status") return commands::run_status(settings, reporter, std::cout);
  if (command == "protect") return commands::run_protect(settings, reporter, std::cout);
  throw Error(ExitCode::failure, "internal: command '" + command + "' has no implementation");
}

int report(const std::string& message, const std::string& hint, pgseed::ExitCode code) {
  std::cerr << "pgseed: error: " << message << "\n";
  if (!hint.empty()) std::cerr << "hint: " << hint << "\n";
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pgseed;
  util::install_interrupt_handlers();
  try {
    const auto invocation = cli::parse_arguments(std::vector<std::string>(argv + 1, argv + argc));
    return dispatch(invocation);
  } catch (const std::exception& e) {
    // A signal makes whatever was running fail in its own way (a dropped connection, a killed
    // pg_restore); what the user needs to know is that it was the interrupt, and that we cleaned up.
    if (const int signal_number = util::interrupt_signal(); signal_number != 0) {
      return report(util::Interrupted(signal_number).what() + std::string("; stopped what was started and removed temporary files"),
                    "", ExitCode::interrupted);
    }
    if (const auto* error = dynamic_cast<const Error*>(&e)) return report(error->what(), error->hint(), error->code());
    if (dynamic_cast<const std::system_error*>(&e) != nullptr) return report(e.what(), "", ExitCode::failure);
    return report(std::string("unexpected: ") + e.what(), "", ExitCode::failure);
  }
}
