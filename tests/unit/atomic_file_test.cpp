#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"

#include <atomic>
#include <set>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace pgseed;
namespace fs = std::filesystem;

TEST_CASE("an uncommitted atomic file leaves nothing behind", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  const auto target = directory.path() / "out.json";
  {
    util::AtomicFile file(target);
    file.write("partial");
    CHECK(fs::exists(file.temporary_path()));
    CHECK(file.temporary_path().filename().string()[0] == '.');
    CHECK(!fs::exists(target));
  }
  CHECK(!fs::exists(target));
  CHECK(fs::is_empty(directory.path()));
}

TEST_CASE("temporary names are hidden, unique and recognisable", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  const auto target = directory.path() / "out.dump";
  util::AtomicFile first(target), second(target);
  CHECK(first.temporary_path() != second.temporary_path());
  const std::string name = first.temporary_path().filename().string();
  CHECK(name.rfind(".out.dump.tmp-", 0) == 0);
  CHECK(name.find(std::to_string(::getpid())) == std::string::npos);
  CHECK(util::is_temporary_name(name));
  for (const char* other : {"out.dump", ".out.dump", "out.dump.tmp-1234", ".out.dump.tmp-", ".out.dump.tmp-notes",
                            ".tmp-12ab", ".bashrc"}) {
    INFO(other);
    CHECK(!util::is_temporary_name(other));
  }
}

TEST_CASE("a committed atomic file replaces the old content", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  const auto target = directory.path() / "out.json";
  testing::write_text(target, "old");
  util::write_file_atomically(target, "new");
  CHECK(testing::read_text(target) == "new");
  CHECK(std::distance(fs::directory_iterator(directory.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("an atomic file can refuse to overwrite", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  const auto target = directory.path() / "out.dump";
  testing::write_text(target, "existing");
  util::AtomicFile file(target);
  file.write("other");
  CHECK_THROWS_AS(file.commit(util::AtomicFile::Overwrite::refuse), std::system_error);
  CHECK(testing::read_text(target) == "existing");
}

TEST_CASE("replacing a symlink keeps it relative and never leaves it missing", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  testing::write_text(directory.path() / "a.dump", "a");
  testing::write_text(directory.path() / "b.dump", "b");
  const auto link = directory.path() / "latest.dump";
  util::replace_symlink_atomically("a.dump", link);
  CHECK(fs::read_symlink(link) == "a.dump");
  util::replace_symlink_atomically("b.dump", link);
  CHECK(fs::read_symlink(link) == "b.dump");
  CHECK(testing::read_text(link) == "b");
}

TEST_CASE("a temporary whose owner lives is kept, one whose owner died is removed", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  util::AtomicFile alive(directory.path() / "alive.dump");
  alive.write("in progress");
  // Another process writing to the temporary (pg_dump does) does not take the lock away.
  testing::write_text(alive.temporary_path(), "written by someone else");

  // A process that dies without unwinding, as under SIGKILL.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto* file = new util::AtomicFile(directory.path() / "dead.dump");
    file->write("never finished");
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  std::vector<fs::path> abandoned;
  for (const auto& entry : fs::directory_iterator(directory.path())) {
    if (entry.path() != alive.temporary_path()) abandoned.push_back(entry.path());
  }
  REQUIRE(abandoned.size() == 1);

  const auto removed = util::remove_abandoned_temporaries(directory.path());
  CHECK(removed == abandoned);
  CHECK(!fs::exists(abandoned.front()));
  CHECK(fs::exists(alive.temporary_path()));
  alive.commit();
  CHECK(testing::read_text(directory.path() / "alive.dump") == "written by someone else");
  CHECK(util::remove_abandoned_temporaries(directory.path() / "missing").empty());
}

TEST_CASE("removing abandoned temporaries never touches other files", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  const fs::path root = directory.path();
  const std::vector<std::string> unrelated{"app.dump", ".hidden", ".app.dump.tmp-notes", "app.dump.tmp-1234",
                                           ".tmp-1234", "latest.dump"};
  for (const auto& name : unrelated) testing::write_text(root / name, "keep");
  fs::create_directory(root / ".dir.tmp-abcd");
  fs::create_symlink("app.dump", root / ".fresh.dump.tmp-0a0b");
  fs::create_symlink("app.dump", root / ".old.dump.tmp-0c0d");
  fs::create_symlink("app.dump", root / ".old.json.tmp-0e0f");
  // A link cannot be locked: only age says it was abandoned.
  for (const char* old : {".old.dump.tmp-0c0d", ".old.json.tmp-0e0f"}) {
    struct timeval times[2] = {{::time(nullptr) - 120, 0}, {::time(nullptr) - 120, 0}};
    REQUIRE(::lutimes((root / old).c_str(), times) == 0);
  }
  testing::write_text(root / ".orphan.dump.tmp-1234", "left by an older pgseed");

  const auto removed = util::remove_abandoned_temporaries(root);
  const std::set<fs::path> removed_set(removed.begin(), removed.end());
  CHECK(removed_set == std::set<fs::path>{root / ".old.dump.tmp-0c0d", root / ".old.json.tmp-0e0f",
                                          root / ".orphan.dump.tmp-1234"});
  for (const auto& name : unrelated) CHECK(testing::read_text(root / name) == "keep");
  CHECK(fs::is_directory(root / ".dir.tmp-abcd"));
  CHECK(fs::is_symlink(root / ".fresh.dump.tmp-0a0b"));
}

TEST_CASE("atomic files commit side by side while abandoned temporaries are removed", "[unit][atomic]") {
  util::TemporaryDirectory directory("pgseed-atomic-");
  constexpr int writers = 4, files_each = 50;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread cleaner([&] {
    while (!done) util::remove_abandoned_temporaries(directory.path());
  });
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < files_each; ++i) {
        const std::string name = "f" + std::to_string(w) + "-" + std::to_string(i);
        try {
          util::AtomicFile file(directory.path() / name);
          file.write(name);
          file.commit(i % 2 == 0 ? util::AtomicFile::Overwrite::refuse : util::AtomicFile::Overwrite::allow);
          if (i % 10 == 0) util::replace_symlink_atomically(name, directory.path() / ("latest-" + std::to_string(w)));
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  done = true;
  cleaner.join();
  CHECK(failures == 0);
  int finals = 0;
  for (const auto& entry : fs::directory_iterator(directory.path())) {
    const std::string name = entry.path().filename().string();
    CHECK(!util::is_temporary_name(name));
    if (name[0] == 'f') {
      ++finals;
      CHECK(testing::read_text(entry.path()) == name);
    }
  }
  CHECK(finals == writers * files_each);
}
