// The one way pgseed starts another program.
//
// fork + execve rather than posix_spawn, because the child sometimes has to drop root privileges
// (initdb and postgres refuse to run as root) and posix_spawn cannot change user. The child gets an
// explicit environment: that is how passwords reach pg_dump and friends, never through argv.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pgseed::util {

struct UserIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::filesystem::path home;
};

// Looks up a local account; nullopt when it does not exist.
std::optional<UserIdentity> find_user(const std::string& name);

enum class Stream { inherit, capture, discard };

struct Command {
  std::vector<std::string> argv;                      // argv[0] is a path or a name looked up in PATH
  std::map<std::string, std::optional<std::string>> env;  // set (value) or unset (nullopt) on top of ours
  std::filesystem::path working_directory;            // empty: ours
  std::optional<UserIdentity> run_as;                 // drop to this user in the child (we must be root)
  Stream stdout_mode = Stream::capture;
  Stream stderr_mode = Stream::capture;
  std::filesystem::path stdin_file;                   // empty: /dev/null
  // Cleanup steps (stopping a server after Ctrl-C, say) must run to the end even after a signal.
  enum class OnInterrupt { forward_and_throw, ignore } on_interrupt = OnInterrupt::forward_and_throw;
  // Called about every `progress_interval` while the child runs (a progress line for a long pg_dump,
  // say). It must not throw; the child's output is still collected in between.
  std::function<void()> on_progress;
  std::chrono::milliseconds progress_interval{500};
};

struct CommandResult {
  int exit_code = -1;      // -1 when killed by a signal
  int term_signal = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool ok() const noexcept { return exit_code == 0; }
  // The last non-empty line of stderr (or stdout), for one-line error messages.
  std::string last_error_line() const;
};

// Runs the command to completion. A signal received by pgseed meanwhile is forwarded to the child,
// and Interrupted is thrown once the child has exited. Throws std::system_error when the program
// cannot be started at all.
//
// The child dies with us, and so does whatever it forked: when pgseed dies, even by SIGKILL, an
// orphaned pg_dump never goes on filling a file nobody will keep, nor pg_restore's parallel workers a
// database. The program runs under a small guardian process (a fork of ours) that leads a process
// group of its own and holds PR_SET_PDEATHSIG; on our death it SIGKILLs the group. A program that
// leaves the group (setsid: pg_ctl's postmaster) is not covered; the embedded cluster has a watchdog
// for that. The kernel sends the death signal when the *thread* that forked exits, not the process:
// call run_command only from a thread that outlives the child (pgseed runs every command from its
// main thread, and run_command waits for the child anyway).
//
// Being in its own process group, the program does not get a terminal's Ctrl-C directly: pgseed
// forwards it (as SIGTERM), or, for cleanup commands (OnInterrupt::ignore), lets them finish.
CommandResult run_command(const Command& command);

// Looks `name` up in PATH; empty when not found.
std::filesystem::path find_in_path(const std::string& name);

}  // namespace pgseed::util
