#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"

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
