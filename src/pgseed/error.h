// The one error type that crosses layers, and the exit codes it maps to.
//
// Every layer throws pgseed::Error with the exit code that fits; main() has the only catch that turns
// it into one line on stderr. Messages are lowercase and name the object they are about.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace pgseed {

// Documented in README.md and `pgseed --help`. Keep them stable: scripts depend on them.
enum class ExitCode : int {
  ok = 0,
  failure = 1,        // anything unexpected, a child tool that failed, a missing binary
  usage = 2,          // bad command line or option value
  dump_refused = 3,   // a dump failed verification: missing, LFS pointer, metadata, size, checksum
  database = 4,       // cannot connect, an SQL error, a failing or edited migration
  refused = 5,        // a safety refusal: no confirmation, sessions connected, empty database; also
                      // a question answered no (Cancelled), because to a script both mean "not done"
  stale = 6,          // pgseed check: the latest dump no longer matches the project (or there is none)
  interrupted = 130,  // SIGINT or SIGTERM; everything started was stopped and cleaned up
};

class Error : public std::runtime_error {
public:
  // runtime_error copies the message whatever we pass; only the hint can be moved.
  Error(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}

  ExitCode code() const noexcept { return code_; }
  const std::string& hint() const noexcept { return hint_; }

private:
  ExitCode code_;
  std::string hint_;
};

// The person at the terminal answered no. Not a failure to report: main() prints
// "pgseed: cancelled, nothing changed" and exits with ExitCode::refused, the code a script already
// treats as "nothing was done for safety" (the same as no terminal and no --yes).
class Cancelled : public Error {
public:
  Cancelled() : Error(ExitCode::refused, "cancelled, nothing changed") {}
};

}  // namespace pgseed
