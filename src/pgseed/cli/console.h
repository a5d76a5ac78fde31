// The terminal side of core::Reporter: messages on stderr, progress only on a terminal.
#pragma once

#include "pgseed/core/reporter.h"

#include <chrono>
#include <string>

namespace pgseed::cli {

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
  std::string progress_step_;
  std::chrono::steady_clock::time_point progress_started_;
};

}  // namespace pgseed::cli
