// What the terminal shows: sizes, durations, progress lines and rates, and errors in pgseed's words.
#include "support/catch.h"

#include "pgseed/cli/console.h"
#include "pgseed/core/reporter.h"

#include <cerrno>

using namespace pgseed;
namespace fs = std::filesystem;

TEST_CASE("sizes are printed for people, with one decimal", "[unit][console]") {
  CHECK(core::human_size(0) == "0 B");
  CHECK(core::human_size(1023) == "1023 B");
  CHECK(core::human_size(1024) == "1.0 KiB");
  CHECK(core::human_size(1536) == "1.5 KiB");
  CHECK(core::human_size(610898) == "596.6 KiB");
  CHECK(core::human_size(5ull << 20) == "5.0 MiB");
  CHECK(core::human_size((1ull << 30) - 1) == "1.0 GiB");  // not "1024.0 MiB"
  CHECK(core::human_size(3865470566ull) == "3.6 GiB");
  CHECK(core::human_size(5ull << 40) == "5.0 TiB");
}

TEST_CASE("durations are printed for people", "[unit][console]") {
  CHECK(core::human_duration(0) == "0.0 s");
  CHECK(core::human_duration(0.42) == "0.4 s");
  CHECK(core::human_duration(13.24) == "13.2 s");
  CHECK(core::human_duration(59.99) == "1 min 00 s");
  CHECK(core::human_duration(125) == "2 min 05 s");
  CHECK(core::human_duration(3720) == "1 h 02 min");
  CHECK(core::human_duration(-1) == "0.0 s");
}

TEST_CASE("progress lines show percent, amounts and a rate", "[unit][console]") {
  CHECK(cli::grouped(0) == "0");
  CHECK(cli::grouped(999) == "999");
  CHECK(cli::grouped(1000) == "1,000");
  CHECK(cli::grouped(2900000) == "2,900,000");
  CHECK(cli::progress_line("verifying", 256ull << 20, 1024ull << 20, core::ProgressUnit::bytes, 180.0 * (1 << 20)) ==
        "pgseed: verifying 25% (256.0 MiB of 1.0 GiB, 180.0 MiB/s)");
  CHECK(cli::progress_line("dumping", 3ull << 20, 0, core::ProgressUnit::bytes, std::nullopt) ==
        "pgseed: dumping (3.0 MiB)");
  CHECK(cli::progress_line("seeding", 1200000, 2900000, core::ProgressUnit::rows, 350000.4) ==
        "pgseed: seeding 41% (1,200,000 of 2,900,000 rows, 350,000 rows/s)");
  CHECK(cli::progress_line("seeding", 10, 5, core::ProgressUnit::rows, std::nullopt) ==
        "pgseed: seeding 100% (10 of 5 rows)");
}

TEST_CASE("the rate of a step runs on across tables", "[unit][console]") {
  // The seeding total runs on across tables while each table's info() line ends the drawn progress.
  // The rate used to restart its clock there but not its count: 1.5M rows over the last table's
  // 0.75 s read as 2M rows/s. Over the whole step it is what was really done.
  using Clock = cli::ProgressRate::Clock;
  const auto start = Clock::time_point{} + std::chrono::hours(1);
  cli::ProgressRate rate;
  rate.restart(0, start);
  CHECK(!rate.per_second(1000, start + std::chrono::milliseconds(100)));  // too early to say
  const auto after_two_tables = rate.per_second(1500000, start + std::chrono::seconds(15));
  REQUIRE(after_two_tables);
  CHECK(*after_two_tables == Approx(100000));
  // A rate that starts mid-step counts from where it started.
  rate.restart(1000000, start);
  CHECK(*rate.per_second(1500000, start + std::chrono::seconds(5)) == Approx(100000));
}

TEST_CASE("filesystem and system errors are told in pgseed's words", "[unit][console]") {
  const fs::filesystem_error error("cannot create directories", fs::path("/proc/nope/dumps"),
                                   std::make_error_code(std::errc::no_such_file_or_directory));
  const std::string message = cli::describe_filesystem_error(error);
  CHECK(message == "/proc/nope/dumps: cannot create directories: no such file or directory");
  CHECK(message.find("filesystem error") == std::string::npos);

  const fs::filesystem_error two("cannot copy", fs::path("/a"), fs::path("/b"),
                                 std::make_error_code(std::errc::permission_denied));
  CHECK(cli::describe_filesystem_error(two) == "/a: cannot copy: permission denied (and /b)");

  const std::system_error system(EACCES, std::generic_category(), "cannot open /x/dev.dump");
  CHECK(cli::describe_system_error(system) == "cannot open /x/dev.dump: permission denied");
}
