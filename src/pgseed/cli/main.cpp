// pgseed's entry point: parse, dispatch, and the one place where errors become exit codes.
#include "pgseed/cli/arguments.h"
#include "pgseed/cli/console.h"
#include "pgseed/commands/commands.h"
#include "pgseed/core/metadata.h"
#include "pgseed/error.h"
#include "pgseed/util/interrupt.h"
#include "pgseed/util/text.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <system_error>

namespace {

int run_command(const pgseed::cli::Invocation& invocation, pgseed::core::Reporter& reporter) {
  using namespace pgseed;
  const auto& settings = invocation.settings;
  const std::string& command = invocation.command;
  if (command == "migrate") return commands::run_migrate(settings, reporter, std::cout);
  if (command == "seed") return commands::run_seed(settings, reporter, std::cout);
  if (command == "dump") return commands::run_dump(settings, reporter, std::cout);
  if (command == "restore") return commands::run_restore(settings, reporter, std::cout);
  if (command == "verify") return commands::run_verify(settings, reporter, std::cout);
  if (command == "reset") return commands::run_reset(settings, reporter, std::cout);
  if (command == "snapshot") return commands::run_snapshot(settings, reporter, std::cout);
  if (command == "up") return commands::run_up(settings, reporter, std::cout);
  if (command == "down") return commands::run_down(settings, reporter, std::cout);
  if (command == "status") return commands::run_status(settings, reporter, std::cout);
  if (command == "protect") return commands::run_protect(settings, reporter, std::cout);
  if (command == "list") return commands::run_list(settings, reporter, std::cout);
  if (command == "prune") return commands::run_prune(settings, reporter, std::cout);
  if (command == "clean") return commands::run_clean(settings, reporter, std::cout);
  if (command == "publish") return commands::run_publish(settings, reporter, std::cout);
  if (command == "check") return commands::run_check(settings, reporter, std::cout);
  throw Error(ExitCode::failure, "internal: command '" + command + "' has no implementation");
}

int dispatch(const pgseed::cli::Invocation& invocation) {
  using namespace pgseed;
  if (invocation.action == cli::Action::version) {
    std::cout << "pgseed " << PGSEED_VERSION << "\n";
    return 0;
  }
  if (invocation.action == cli::Action::missing_command) {
    std::cerr << cli::top_level_help();
    return static_cast<int>(ExitCode::usage);
  }
  if (invocation.action == cli::Action::help) {
    std::cout << (invocation.command.empty() ? cli::top_level_help() : cli::command_help(invocation.command));
    return 0;
  }
  cli::ConsoleReporter reporter(invocation.quiet);
  const auto started = std::chrono::steady_clock::now();
  const int code = run_command(invocation, reporter);
  // Long commands end with how long they took; a failure's last line stays the error.
  reporter.info(
      invocation.command + " finished in " +
      core::human_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
  return code;
}

int report(const std::string& message, const std::string& hint, pgseed::ExitCode code) {
  // Messages name files and databases: their control characters are shown, not obeyed.
  std::cerr << "pgseed: error: " << pgseed::util::escape_control_characters(message) << "\n";
  if (!hint.empty()) std::cerr << "pgseed: hint: " << pgseed::util::escape_control_characters(hint) << "\n";
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
    // A "no" at a question is the user's decision, not a failure: no error line.
    if (dynamic_cast<const Cancelled*>(&e) != nullptr) {
      std::cerr << "pgseed: " << e.what() << "\n";
      return static_cast<int>(ExitCode::refused);
    }
    if (const auto* error = dynamic_cast<const Error*>(&e)) return report(error->what(), error->hint(), error->code());
    // verify turns metadata errors into dump refusals naming the file; one that escapes another way
    // is still a refused dump, not an "unexpected" failure.
    if (dynamic_cast<const core::MetadataError*>(&e) != nullptr) {
      return report(std::string("dump metadata is invalid: ") + e.what(), "", ExitCode::dump_refused);
    }
    // Layers that know the path translate filesystem errors themselves; what escapes to here still
    // gets pgseed's vocabulary instead of the library's "filesystem error: ..." line.
    if (const auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
      return report(cli::describe_filesystem_error(*fs_error), "", ExitCode::failure);
    }
    if (const auto* system_error = dynamic_cast<const std::system_error*>(&e)) {
      return report(cli::describe_system_error(*system_error), "", ExitCode::failure);
    }
    return report(std::string("unexpected: ") + e.what(), "", ExitCode::failure);
  }
}
