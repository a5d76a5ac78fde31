#include "pgseed/cli/console.h"

#include "pgseed/util/text.h"

#include <unistd.h>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <string>

namespace pgseed::cli {

void ProgressRate::restart(std::uint64_t done, Clock::time_point now) {
  first_done_ = done;
  started_ = now;
}

std::optional<double> ProgressRate::per_second(std::uint64_t done, Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - started_).count();
  if (seconds < 0.5 || done < first_done_) return std::nullopt;
  return static_cast<double>(done - first_done_) / seconds;
}

std::string grouped(std::uint64_t number) {
  std::string digits = std::to_string(number);
  for (auto position = static_cast<std::ptrdiff_t>(digits.size()) - 3; position > 0; position -= 3) {
    digits.insert(static_cast<std::size_t>(position), ",");
  }
  return digits;
}

std::string progress_line(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit,
                          std::optional<double> per_second) {
  std::string line = "pgseed: " + util::escape_control_characters(step) + " ";
  if (total > 0) line += std::to_string(done >= total ? 100 : done * 100 / total) + "% ";
  if (unit == core::ProgressUnit::bytes) {
    line += "(" + core::human_size(done) + (total > 0 ? " of " + core::human_size(total) : "");
    if (per_second) line += ", " + core::human_size(static_cast<std::uint64_t>(*per_second)) + "/s";
  } else {
    line += "(" + grouped(done) + (total > 0 ? " of " + grouped(total) : "") + " rows";
    if (per_second) line += ", " + grouped(static_cast<std::uint64_t>(*per_second)) + " rows/s";
  }
  return line + ")";
}

namespace {
std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}
}  // namespace

std::string describe_filesystem_error(const std::filesystem::filesystem_error& error) {
  // libstdc++ builds what() as "filesystem error: <operation>: <reason> [<path1>] [<path2>]"; the
  // operation is the useful part and has no accessor of its own.
  const std::string reason = error.code().message();
  std::string operation = error.what();
  const std::string prefix = "filesystem error: ";
  if (operation.rfind(prefix, 0) == 0) operation.erase(0, prefix.size());
  if (const auto end = operation.find(": " + reason); end != std::string::npos) {
    operation.resize(end);
  } else {
    operation.clear();
  }
  std::string message = error.path1().empty() ? std::string() : error.path1().string() + ": ";
  if (!operation.empty()) message += operation + ": ";
  message += lowercase_first(reason);
  if (!error.path2().empty()) message += " (and " + error.path2().string() + ")";
  return message;
}

std::string describe_system_error(const std::system_error& error) {
  // what() is "<what the code was doing>: <strerror>"; only the second half needs lowercasing.
  std::string message = error.what();
  const std::string reason = error.code().message();
  if (const auto at = message.rfind(reason); at != std::string::npos && at + reason.size() == message.size()) {
    message.replace(at, reason.size(), lowercase_first(reason));
  }
  return message;
}

ConsoleReporter::ConsoleReporter(bool quiet)
    : quiet_(quiet), stderr_is_terminal_(::isatty(STDERR_FILENO) == 1),
      interactive_(::isatty(STDIN_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1) {}

void ConsoleReporter::info(const std::string& message) {
  if (quiet_) return;
  progress_done();
  std::cerr << "pgseed: " << util::escape_control_characters(message) << std::endl;
}

void ConsoleReporter::warning(const std::string& message) {
  progress_done();
  std::cerr << "pgseed: warning: " << util::escape_control_characters(message) << std::endl;
}

void ConsoleReporter::progress(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit) {
  if (quiet_ || !stderr_is_terminal_) return;
  const auto now = ProgressRate::Clock::now();
  // A new step, or the same step counting from the start again, starts a new rate. An info() line in
  // between does not: the seeding total runs on across tables.
  if (step != rate_step_ || done < last_done_) {
    rate_step_ = step;
    rate_.restart(done, now);
  }
  last_done_ = done;
  // Redrawing on every chunk costs more than it tells; ten times a second is enough to look alive.
  const bool finished = total > 0 && done >= total;
  if (progress_shown_ && !finished && now - last_drawn_ < std::chrono::milliseconds(100)) return;
  last_drawn_ = now;
  std::cerr << "\r\033[K" << progress_line(step, done, total, unit, rate_.per_second(done, now)) << std::flush;
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
  std::cerr << "pgseed: " << util::escape_control_characters(question) << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

std::optional<std::string> ConsoleReporter::ask_line(const std::string& question) {
  if (!interactive_) return std::nullopt;
  progress_done();
  std::cerr << "pgseed: " << util::escape_control_characters(question) << " " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return std::nullopt;
  // A terminal in raw-ish mode, or script(1), may hand over the carriage return too.
  while (!answer.empty() && (answer.back() == '\r' || answer.back() == '\n')) answer.pop_back();
  return answer;
}

}  // namespace pgseed::cli
