#include "pgseed/cli/console.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace pgseed::cli {

ConsoleReporter::ConsoleReporter(bool quiet)
    : quiet_(quiet), stderr_is_terminal_(::isatty(STDERR_FILENO) == 1),
      interactive_(::isatty(STDIN_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1) {}

void ConsoleReporter::info(const std::string& message) {
  if (quiet_) return;
  progress_done();
  std::cerr << "pgseed: " << message << std::endl;
}

void ConsoleReporter::warning(const std::string& message) {
  progress_done();
  std::cerr << "pgseed: warning: " << message << std::endl;
}

void ConsoleReporter::progress(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit) {
  if (quiet_ || !stderr_is_terminal_) return;
  if (step != progress_step_ || !progress_shown_) {
    progress_step_ = step;
    progress_started_ = std::chrono::steady_clock::now();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - progress_started_).count();
  std::string line = "pgseed: " + step + " ";
  if (total > 0) line += std::to_string(done * 100 / total) + "% ";
  if (unit == core::ProgressUnit::bytes) {
    line += "(" + std::to_string(done >> 20) + (total > 0 ? " of " + std::to_string(total >> 20) : "") + " MiB)";
  } else {
    line += "(" + std::to_string(done) + (total > 0 ? " of " + std::to_string(total) : "") + " rows";
    if (seconds > 0.5) line += ", " + std::to_string(static_cast<std::uint64_t>(static_cast<double>(done) / seconds)) + " rows/s";
    line += ")";
  }
  std::cerr << "\r\033[K" << line << std::flush;
  progress_shown_ = true;
}

void ConsoleReporter::progress_done() {
  if (!progress_shown_) return;
  std::cerr << "\r\033[K" << std::flush;
  progress_shown_ = false;
}

bool ConsoleReporter::confirm(const std::string& question) {
  if (!interactive_) return false;
  progress_done();
  std::cerr << "pgseed: " << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

std::optional<std::string> ConsoleReporter::ask_line(const std::string& question) {
  if (!interactive_) return std::nullopt;
  progress_done();
  std::cerr << "pgseed: " << question << " " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return std::nullopt;
  // A terminal in raw-ish mode, or script(1), may hand over the carriage return too.
  while (!answer.empty() && (answer.back() == '\r' || answer.back() == '\n')) answer.pop_back();
  return answer;
}

}  // namespace pgseed::cli
