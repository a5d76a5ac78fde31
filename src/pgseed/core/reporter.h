// How core operations talk to the person running them, without knowing about terminals.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace pgseed::core {

enum class ProgressUnit { bytes, rows };

class Reporter {
public:
  virtual ~Reporter() = default;
  virtual void info(const std::string& message) = 0;
  virtual void warning(const std::string& message) = 0;
  // A long step: `done` of `total` units (total 0 when unknown). Shown on a terminal only.
  virtual void progress(const std::string& step, std::uint64_t done, std::uint64_t total,
                        ProgressUnit unit = ProgressUnit::bytes) = 0;
  virtual void progress_done() = 0;
  // Asks a yes/no question on a terminal. Returns false when there is nobody to ask.
  virtual bool confirm(const std::string& question) = 0;
  // Asks for a typed line (a database name to confirm, say) on a terminal, and returns it without its
  // line end. nullopt when there is nobody to ask. Not pure, so that a reporter that never asks
  // (a library caller's) need not say so.
  virtual std::optional<std::string> ask_line(const std::string& question) {
    (void)question;
    return std::nullopt;
  }
  virtual bool interactive() const = 0;
};

// Says nothing and confirms nothing: for tests and library use.
class SilentReporter : public Reporter {
public:
  void info(const std::string&) override {}
  void warning(const std::string&) override {}
  void progress(const std::string&, std::uint64_t, std::uint64_t, ProgressUnit) override {}
  void progress_done() override {}
  bool confirm(const std::string&) override { return false; }
  std::optional<std::string> ask_line(const std::string&) override { return std::nullopt; }
  bool interactive() const override { return false; }
};

// Sizes for people, in binary units with one decimal: "512 B", "1.5 KiB", "610.2 MiB", "3.6 GiB".
// For messages; metadata and --json keep exact byte counts.
inline std::string human_size(std::uint64_t bytes) {
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  // Rounding to one decimal could print "1024.0 MiB"; move up a unit before that happens.
  while (value >= 1023.95 && unit + 1 < sizeof(units) / sizeof(units[0])) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

// Durations for people: "0.4 s", "13.2 s", "2 min 05 s", "1 h 02 min".
inline std::string human_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  char text[32];
  if (seconds < 59.95) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const auto whole = static_cast<std::uint64_t>(std::llround(seconds));
    std::snprintf(text, sizeof text, "%llu min %02llu s", static_cast<unsigned long long>(whole / 60),
                  static_cast<unsigned long long>(whole % 60));
  } else {
    const auto minutes = static_cast<std::uint64_t>(std::llround(seconds / 60));
    std::snprintf(text, sizeof text, "%llu h %02llu min", static_cast<unsigned long long>(minutes / 60),
                  static_cast<unsigned long long>(minutes % 60));
  }
  return text;
}

}  // namespace pgseed::core
