// SIGINT/SIGTERM/SIGHUP handling that lets the program clean up instead of dying mid-write.
//
// The handler only records the signal and forwards it to registered processes (kill() is
// async-signal-safe). Blocking waits then return, the code notices interrupted(), throws Interrupted,
// and destructors stop servers and remove temporary files on the way out. A second signal while
// cleaning up is left to its default action.
#pragma once

#include <stdexcept>
#include <sys/types.h>

namespace pgseed::util {

class Interrupted : public std::runtime_error {
public:
  explicit Interrupted(int signal_number);
  int signal_number() const noexcept { return signal_number_; }

private:
  int signal_number_;
};

void install_interrupt_handlers();

// The first signal received, or 0.
int interrupt_signal() noexcept;
void throw_if_interrupted();

// While alive, a signal received by this process is forwarded to `pid` as `forwarded_signal`.
class ForwardInterruptTo {
public:
  ForwardInterruptTo(pid_t pid, int forwarded_signal);
  ~ForwardInterruptTo();
  ForwardInterruptTo(const ForwardInterruptTo&) = delete;
  ForwardInterruptTo& operator=(const ForwardInterruptTo&) = delete;

private:
  int slot_ = -1;
};

}  // namespace pgseed::util
