// How core operations talk to the person running them, without knowing about terminals.
#pragma once

#include <cstdint>
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

}  // namespace pgseed::core
