#include "pgseed/util/subprocess.h"

#include "pgseed/util/interrupt.h"
#include "pgseed/util/unique_fd.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <optional>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace pgseed::util {
namespace fs = std::filesystem;

std::optional<UserIdentity> find_user(const std::string& name) {
  struct passwd entry;
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return UserIdentity{found->pw_uid, found->pw_gid, found->pw_name, found->pw_dir};
}

fs::path find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::istringstream parts(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string directory;
  while (std::getline(parts, directory, ':')) {
    if (directory.empty()) continue;
    const fs::path candidate = fs::path(directory) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string CommandResult::last_error_line() const {
  for (const std::string* text : {&stderr_text, &stdout_text}) {
    std::istringstream lines(*text);
    std::string line, last;
    while (std::getline(lines, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    }
    if (!last.empty()) return last;
  }
  return {};
}

namespace {

std::vector<std::string> build_environment(const Command& command) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals != nullptr) merged[std::string(*entry, static_cast<std::size_t>(equals - *entry))] = equals + 1;
  }
  for (const auto& [key, value] : command.env) {
    if (value) merged[key] = *value;
    else merged.erase(key);
  }
  if (command.run_as) {
    merged["HOME"] = command.run_as->home.string();
    merged["USER"] = command.run_as->name;
    merged["LOGNAME"] = command.run_as->name;
  }
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void exec_child(const Command& command, const fs::path& program, char* const* argv, char* const* envp,
                             int stdout_fd, int stderr_fd, int error_pipe, pid_t parent) {
  auto fail = [&](int code) {
    (void)!::write(error_pipe, &code, sizeof code);
    ::_exit(127);
  };
  // Restore default signal dispositions (the child must not inherit our ignore of SIGPIPE) and the
  // mask the guardian blocked.
  struct sigaction defaults;
  std::memset(&defaults, 0, sizeof defaults);
  defaults.sa_handler = SIG_DFL;
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1}) ::sigaction(signal_number, &defaults, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  const int stdin_fd = ::open(command.stdin_file.empty() ? "/dev/null" : command.stdin_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (stdin_fd < 0 || ::dup2(stdin_fd, 0) < 0) fail(errno);
  if (stdout_fd >= 0 && ::dup2(stdout_fd, 1) < 0) fail(errno);
  if (stderr_fd >= 0 && ::dup2(stderr_fd, 2) < 0) fail(errno);
  if (command.run_as) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(command.run_as->gid) != 0 || ::setuid(command.run_as->uid) != 0) {
      fail(errno);
    }
  }
  // After the credential change, which clears the death signal. Then: if the parent already died
  // between fork and here, the signal will never come, so leave now instead of running orphaned.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno);
  if (::getppid() != parent) ::_exit(127);
  if (!command.working_directory.empty() && ::chdir(command.working_directory.c_str()) != 0) fail(errno);
  ::execve(program.c_str(), argv, envp);
  fail(errno);
  ::_exit(127);  // not reached; tells the compiler this function does not return
}

// The guardian: a process between pgseed and the program, leading a process group of its own that
// the program and everything it forks without leaving the group belong to (pg_restore's parallel
// workers, say). PR_SET_PDEATHSIG covers only a direct child, so the guardian takes it (as SIGUSR1)
// and kills the whole group when pgseed dies. Signals pgseed forwards (SIGTERM, SIGINT, SIGHUP) go
// on to the program; the guardian exits the way the program did.
volatile sig_atomic_t guarded_pid = 0;

extern "C" void on_guardian_signal(int signal_number) {
  if (signal_number == SIGUSR1) {
    ::kill(0, SIGKILL);  // our whole group, us included
  } else if (guarded_pid > 0) {
    ::kill(guarded_pid, signal_number);
  }
}

[[noreturn]] void run_guardian(const Command& command, const fs::path& program, char* const* argv, char* const* envp,
                               int stdout_fd, int stderr_fd, int error_pipe, pid_t parent) {
  auto fail = [&](int code) {
    (void)!::write(error_pipe, &code, sizeof code);
    ::_exit(127);
  };
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&handled, signal_number);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);  // until guarded_pid is known
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_guardian_signal;
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) ::sigaction(signal_number, &action, nullptr);
  if (::setpgid(0, 0) != 0) fail(errno);
  if (::prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) fail(errno);
  // If pgseed died between fork and here, the death signal will never come.
  if (::getppid() != parent) ::_exit(127);
  const pid_t guardian = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) fail(errno);
  if (child == 0) exec_child(command, program, argv, envp, stdout_fd, stderr_fd, error_pipe, guardian);
  guarded_pid = child;
  // Our copies of the pipes would keep pgseed from seeing the end of the output.
  for (int fd : {stdout_fd, stderr_fd, error_pipe}) {
    if (fd >= 0) ::close(fd);
  }
  ::sigprocmask(SIG_UNBLOCK, &handled, nullptr);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) ::_exit(127);
  }
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  // Die of the same signal, so that pgseed sees what the program saw; without a core file of ours.
  const int signal_number = WTERMSIG(status);
  struct rlimit no_core {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(signal_number, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal_number);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::kill(guardian, signal_number);
  ::_exit(128 + signal_number);
}

void read_available(UniqueFd& fd, std::string& sink) {
  char buffer[65536];
  const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
  if (got > 0) {
    sink.append(buffer, static_cast<std::size_t>(got));
  } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd.reset();
  }
}

}  // namespace

CommandResult run_command(const Command& command) {
  if (command.argv.empty()) throw std::invalid_argument("run_command: empty argv");
  if (command.on_interrupt == Command::OnInterrupt::forward_and_throw) throw_if_interrupted();
  const fs::path program = find_in_path(command.argv[0]);
  if (program.empty()) {
    throw std::system_error(ENOENT, std::generic_category(), "cannot find program " + command.argv[0]);
  }

  std::vector<std::string> environment = build_environment(command);
  std::vector<char*> argv_pointers, env_pointers;
  for (const auto& arg : command.argv) argv_pointers.push_back(const_cast<char*>(arg.c_str()));
  argv_pointers.push_back(nullptr);
  for (const auto& entry : environment) env_pointers.push_back(const_cast<char*>(entry.c_str()));
  env_pointers.push_back(nullptr);

  UniqueFd devnull;
  Pipe out_pipe, err_pipe;
  if (command.stdout_mode == Stream::discard || command.stderr_mode == Stream::discard) {
    devnull = checked_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC), "cannot open /dev/null");
  }
  if (command.stdout_mode == Stream::capture) out_pipe = make_pipe(O_CLOEXEC);
  if (command.stderr_mode == Stream::capture) err_pipe = make_pipe(O_CLOEXEC);
  Pipe exec_error = make_pipe(O_CLOEXEC);

  auto child_fd = [&](Stream mode, const UniqueFd& pipe_write_end) {
    return mode == Stream::capture ? pipe_write_end.get() : mode == Stream::discard ? devnull.get() : -1;
  };
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    run_guardian(command, program, argv_pointers.data(), env_pointers.data(),
                 child_fd(command.stdout_mode, out_pipe.write_end), child_fd(command.stderr_mode, err_pipe.write_end),
                 exec_error.write_end.get(), parent);
  }
  // Should anything below throw (poll, an allocation), the child must not run on unwatched.
  struct Reaper {
    pid_t pid;
    bool reaped = false;
    ~Reaper() {
      if (reaped) return;
      ::kill(-pid, SIGKILL);  // the guardian's group: the program and whatever it forked
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  } reaper{pid};
  std::optional<ForwardInterruptTo> forward;
  if (command.on_interrupt == Command::OnInterrupt::forward_and_throw) forward.emplace(pid, SIGTERM);
  // Our copies of the child's ends: the pipes reach EOF only once the child alone holds them.
  out_pipe.write_end.reset();
  err_pipe.write_end.reset();
  exec_error.write_end.reset();
  devnull.reset();

  CommandResult result;
  UniqueFd& out_fd = out_pipe.read_end;
  UniqueFd& err_fd = err_pipe.read_end;
  const int poll_timeout = command.on_progress ? static_cast<int>(command.progress_interval.count()) : -1;
  auto last_progress = std::chrono::steady_clock::now();
  auto maybe_report_progress = [&] {
    if (!command.on_progress || std::chrono::steady_clock::now() - last_progress < command.progress_interval) return;
    last_progress = std::chrono::steady_clock::now();
    command.on_progress();
  };
  while (out_fd || err_fd) {
    maybe_report_progress();
    struct pollfd fds[2];
    nfds_t count = 0;
    if (out_fd) fds[count++] = {out_fd.get(), POLLIN, 0};
    if (err_fd) fds[count++] = {err_fd.get(), POLLIN, 0};
    if (::poll(fds, count, poll_timeout) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_fd.get()) read_available(out_fd, result.stdout_text);
      else read_available(err_fd, result.stderr_text);
    }
  }

  int status = 0;
  // A child that closed its output early (or never had captured output) may still be running.
  for (;;) {
    const pid_t waited = ::waitpid(pid, &status, command.on_progress ? WNOHANG : 0);
    if (waited == pid) {
      reaper.reaped = true;
      break;
    }
    if (waited < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    if (waited == 0) {
      maybe_report_progress();
      ::poll(nullptr, 0, std::min(poll_timeout, 50));
    }
  }
  int exec_errno = 0;
  const bool exec_failed = ::read(exec_error.read_end.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno;
  exec_error.read_end.reset();
  if (exec_failed) {
    throw std::system_error(exec_errno, std::generic_category(), "cannot run " + program.string());
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  if (command.on_interrupt == Command::OnInterrupt::forward_and_throw) throw_if_interrupted();
  return result;
}

}  // namespace pgseed::util
