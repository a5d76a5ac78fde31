// The WAL a physical snapshot keeps: only the segment of the shutdown checkpoint.
#include "support/catch.h"

#include "pgseed/core/physical.h"
#include "pgseed/error.h"
#include "pgseed/util/fs.h"

#include <fstream>
#include <set>

using namespace pgseed;
namespace fs = std::filesystem;

TEST_CASE("a physical snapshot keeps only the WAL segment of its shutdown checkpoint", "[unit][physical]") {
  util::TemporaryDirectory wal("pgseed-pg-wal-");
  const std::set<std::string> segments = {"000000010000000000000019", "00000001000000000000001A",
                                          "00000001000000000000001B", "00000001000000000000001C"};
  for (const auto& name : segments) std::ofstream(wal.path() / name) << "wal";
  // not segments: the status directory, a timeline history file, a partial segment
  fs::create_directory(wal.path() / "archive_status");
  std::ofstream(wal.path() / "00000002.history") << "1\t0/1A000000\tno recovery target";
  std::ofstream(wal.path() / "00000001000000000000001D.partial") << "wal";

  CHECK(core::remove_unneeded_wal_segments(wal.path(), "00000001000000000000001A") == 3);
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(wal.path())) left.insert(entry.path().filename().string());
  CHECK(left == std::set<std::string>{"00000001000000000000001A", "archive_status", "00000002.history",
                                      "00000001000000000000001D.partial"});

  CHECK_THROWS_AS(core::remove_unneeded_wal_segments(wal.path(), "../00000001000000000000001A"), Error);
  CHECK_THROWS_AS(core::remove_unneeded_wal_segments(wal.path(), ""), Error);
  CHECK(fs::exists(wal.path() / "00000001000000000000001A"));
}
