#include "pgseed/util/interrupt.h"

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

namespace pgseed::util {
namespace {

constexpr int slot_count = 16;
std::atomic<int> received_signal{0};
std::atomic<pid_t> forward_pids[slot_count];
std::atomic<int> forward_signals[slot_count];

extern "C" void on_interrupt(int signal_number) {
  int expected = 0;
  if (!received_signal.compare_exchange_strong(expected, signal_number)) {
    // Second signal: the user insists. Fall back to the default action.
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  for (int i = 0; i < slot_count; ++i) {
    const pid_t pid = forward_pids[i].load();
    if (pid > 0) ::kill(pid, forward_signals[i].load());
  }
}

}  // namespace

Interrupted::Interrupted(int signal_number)
    : std::runtime_error(std::string("interrupted by ") + (signal_number == SIGINT ? "SIGINT"
                                                           : signal_number == SIGTERM ? "SIGTERM"
                                                           : signal_number == SIGHUP  ? "SIGHUP"
                                                                                      : "a signal")),
      signal_number_(signal_number) {}

void install_interrupt_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking waits return EINTR so we notice promptly
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal_number, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int interrupt_signal() noexcept { return received_signal.load(); }

void throw_if_interrupted() {
  if (const int signal_number = received_signal.load(); signal_number != 0) throw Interrupted(signal_number);
}

ForwardInterruptTo::ForwardInterruptTo(pid_t pid, int forwarded_signal) {
  for (int i = 0; i < slot_count; ++i) {
    pid_t expected = 0;
    if (forward_pids[i].compare_exchange_strong(expected, pid)) {
      forward_signals[i].store(forwarded_signal);
      slot_ = i;
      // A signal that arrived just before registration would not have reached the child.
      if (received_signal.load() != 0) ::kill(pid, forwarded_signal);
      return;
    }
  }
  // All slots busy: the child still gets terminal signals through its process group.
}

ForwardInterruptTo::~ForwardInterruptTo() {
  if (slot_ >= 0) forward_pids[slot_].store(0);
}

}  // namespace pgseed::util
