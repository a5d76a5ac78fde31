#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/util/fs.h"
#include "pgseed/util/subprocess.h"
#include "pgseed/util/unique_fd.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

std::size_t open_descriptor_count() {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}
}  // namespace

TEST_CASE("a command's child dies when the process that ran it is killed", "[unit][subprocess]") {
  std::vector<std::optional<util::UserIdentity>> identities{std::nullopt};
  // Under root, also as another account: the kernel clears the death signal on a credential change.
  if (::geteuid() == 0) {
    if (auto postgres = util::find_user("postgres")) identities.push_back(postgres);
  }
  for (const auto& identity : identities) {
    INFO("as " << (identity ? identity->name : std::string("ourselves")));
    util::TemporaryDirectory directory("pgseed-subprocess-");
    ::chmod(directory.path().c_str(), 0777);
    const fs::path pid_file = directory.path() / "pid";
    // The runner stands for pgseed: it runs a long command, and is SIGKILLed meanwhile.
    const pid_t runner = ::fork();
    REQUIRE(runner >= 0);
    if (runner == 0) {
      util::Command command;
      command.argv = {"/bin/sh", "-c", "echo $$ > \"$0.part\" && mv \"$0.part\" \"$0\" && exec sleep 60",
                      pid_file.string()};
      command.run_as = identity;
      try {
        util::run_command(command);
      } catch (...) {
      }
      ::_exit(0);
    }
    REQUIRE(wait_for([&] { return fs::exists(pid_file); }, std::chrono::seconds(10)));
    const pid_t grandchild = std::stoi(testing::read_text(pid_file));
    REQUIRE(testing::process_alive(grandchild));
    ::kill(runner, SIGKILL);
    ::waitpid(runner, nullptr, 0);
    const bool gone = wait_for([&] { return !testing::process_alive(grandchild); }, std::chrono::seconds(1));
    if (!gone) ::kill(grandchild, SIGKILL);
    CHECK(gone);
  }
}

TEST_CASE("running commands leaks no file descriptor, also when the program cannot start", "[unit][subprocess]") {
  const std::size_t before = open_descriptor_count();
  for (int i = 0; i < 20; ++i) {
    util::Command command;
    command.argv = {"/bin/sh", "-c", "echo out; echo err >&2"};
    command.stderr_mode = i % 2 == 0 ? util::Stream::discard : util::Stream::capture;
    CHECK(util::run_command(command).stdout_text == "out\n");
    util::Command missing;
    missing.argv = {"/nonexistent/program"};
    CHECK_THROWS_AS(util::run_command(missing), std::system_error);
  }
  CHECK(open_descriptor_count() == before);
}

TEST_CASE("a command that cannot get its pipes leaks none of those it got", "[unit][subprocess]") {
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // New descriptors get the lowest free numbers below the limit: find the limit that leaves `room`.
  std::vector<int> open_numbers;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    open_numbers.push_back(std::stoi(entry.path().filename().string()));
  }
  auto limit_leaving = [&](int room) {
    for (int limit = 0;; ++limit) {
      const auto taken = std::count_if(open_numbers.begin(), open_numbers.end(), [&](int fd) { return fd < limit; });
      if (limit - taken == room) return limit;
    }
  };
  int failed_starts = 0;
  for (int room = 1; room <= 6; ++room) {
    INFO(room << " free descriptors");
    const std::size_t before = open_descriptor_count();
    struct rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(limit_leaving(room));
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    util::Command command;
    command.argv = {"/bin/true"};
    command.stderr_mode = util::Stream::discard;  // /dev/null, one pipe, the exec error pipe
    bool threw = false;
    try {
      util::run_command(command);
    } catch (const std::system_error&) {
      threw = true;
    }
    ::setrlimit(RLIMIT_NOFILE, &saved);
    if (threw) ++failed_starts;
    CHECK(open_descriptor_count() == before);
  }
  CHECK(failed_starts > 0);  // the limit did bite, at /dev/null, a pipe or the exec error pipe
}

TEST_CASE("the progress callback still runs while a command works", "[unit][subprocess]") {
  util::Command command;
  command.argv = {"/bin/sh", "-c", "sleep 0.5"};
  command.progress_interval = std::chrono::milliseconds(50);
  int calls = 0;
  command.on_progress = [&] { ++calls; };
  CHECK(util::run_command(command).ok());
  CHECK(calls >= 3);
}

TEST_CASE("a unique fd closes once, and reports a failed close", "[unit][subprocess]") {
  const std::size_t before = open_descriptor_count();
  {
    util::Pipe pipe = util::make_pipe(O_CLOEXEC);
    util::UniqueFd moved = std::move(pipe.read_end);
    CHECK(!pipe.read_end);
    CHECK(moved);
  }
  CHECK(open_descriptor_count() == before);
  util::UniqueFd bogus(987654);  // not open: close() fails with EBADF
  CHECK_THROWS_AS(bogus.close_or_throw("closing"), std::system_error);
  CHECK(!bogus);
}
