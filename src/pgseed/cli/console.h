// The terminal side of core::Reporter: messages on stderr, progress only on a terminal.
#pragma once

#include "pgseed/core/reporter.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace pgseed::cli {

// The rate of one progress step: the units done since the step's first report, over the time since
// then. It lives across info() lines, so a step that reports a running total over several tables
// (seeding) is not divided by the current table's time alone.
class ProgressRate {
public:
  using Clock = std::chrono::steady_clock;
  void restart(std::uint64_t done, Clock::time_point now);
  // Nothing in the first half second: a rate from a few milliseconds says nothing.
  std::optional<double> per_second(std::uint64_t done, Clock::time_point now) const;

private:
  std::uint64_t first_done_ = 0;
  Clock::time_point started_{};
};

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t number);

// The progress line without the terminal control characters, e.g.
// "pgseed: verifying 42% (256.0 MiB of 610.2 MiB, 180.3 MiB/s)".
std::string progress_line(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit,
                          std::optional<double> per_second);

// "<path>: <what was done>: <reason>" in pgseed's lowercase style, for errors that reach main().
std::string describe_filesystem_error(const std::filesystem::filesystem_error& error);
std::string describe_system_error(const std::system_error& error);

class ConsoleReporter : public core::Reporter {
public:
  explicit ConsoleReporter(bool quiet);
  void info(const std::string& message) override;
  void warning(const std::string& message) override;
  void progress(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit) override;
  void progress_done() override;
  bool confirm(const std::string& question) override;
  std::optional<std::string> ask_line(const std::string& question) override;
  bool interactive() const override { return interactive_; }

private:
  bool quiet_;
  bool stderr_is_terminal_;
  bool interactive_;  // stdin and stderr are terminals: someone can answer a question
  bool progress_shown_ = false;
  std::string rate_step_;
  std::uint64_t last_done_ = 0;
  ProgressRate rate_;
  ProgressRate::Clock::time_point last_drawn_{};
};

}  // namespace pgseed::cli
