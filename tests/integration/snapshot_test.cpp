// pgseed snapshot and restore by name: full and partial snapshots, the safety snapshot, names.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"

#include <csignal>
#include <future>
#include <iostream>
#include <random>
#include <sys/wait.h>
#include <thread>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

// A migrated and seeded database with a project around it.
struct Seeded {
  testing::ScratchProject project;
  pg::ConnInfo database = testing::fresh_database("snap");
  Seeded() {
    for (const char* command : {"migrate", "seed"}) {
      const auto run = run_pgseed({command, "-C", root(), "--database-url", url()});
      INFO(run.err);
      REQUIRE(run.exit_code == 0);
    }
  }
  std::string root() const { return project.root().string(); }
  std::string url() const { return database.keyword_string(); }
  fs::path snapshots() const { return project.root() / ".pgseed" / "snapshots"; }
  std::string value(const std::string& sql) const { return testing::query_value(database, sql); }
  void execute(const std::string& sql) const { pg::Connection(database).execute(sql); }
};

}  // namespace

TEST_CASE("snapshot, change, restore by name: the data is back and the safety snapshot lists", "[integration][snapshot]") {
  Seeded seeded;
  const auto snapshot = run_pgseed({"snapshot", "before-change", "-m", "before the change", "-C", seeded.root(), "--database-url", seeded.url()});
  INFO(snapshot.err);
  REQUIRE(snapshot.exit_code == 0);
  CHECK(snapshot.out.rfind("before-change ", 0) == 0);
  const auto metadata = core::read_metadata(seeded.snapshots() / "before-change.metadata.json");
  CHECK(metadata.kind == core::ArchiveKind::snapshot);
  CHECK(metadata.database == seeded.database.database());
  CHECK(metadata.note == "before the change");
  CHECK(metadata.record_counts.at("public.users") == 11);
  CHECK(testing::read_text(seeded.project.root() / ".pgseed" / ".gitignore").find("*") != std::string::npos);

  seeded.execute("DELETE FROM orders; UPDATE users SET full_name = 'changed'");
  const auto restore = run_pgseed({"restore", "before-change", "--yes", "-C", seeded.root(), "--database-url", seeded.url()});
  INFO(restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(restore.err.find("snapshot before-change.dump: of database " + seeded.database.database()) != std::string::npos);
  CHECK(restore.err.find("note: before the change") != std::string::npos);
  CHECK(seeded.value("SELECT count(*) FROM orders") == std::to_string(metadata.record_counts.at("public.orders")));
  CHECK(seeded.value("SELECT count(*) FROM users WHERE full_name = 'changed'") == "0");
  CHECK(seeded.value("SELECT kind || ' ' || dump_file || ' ' || restored_by FROM pgseed_provenance") ==
        "snapshot before-change.dump pgseed restore");

  // The safety snapshot holds the changed state, and the output says how to go back to it.
  const auto at = restore.out.find("safety snapshot: pre-restore-");
  REQUIRE(at != std::string::npos);
  const std::string safety = restore.out.substr(at + 17, restore.out.find(' ', at + 17) - at - 17);
  CHECK(restore.out.find("pgseed restore " + safety) != std::string::npos);
  const auto safety_metadata = core::read_metadata(seeded.snapshots() / (safety + ".metadata.json"));
  CHECK(safety_metadata.record_counts.at("public.orders") == 0);
  const auto back = run_pgseed({"restore", safety, "--yes", "--no-safety-snapshot", "-C", seeded.root(), "--database-url", seeded.url()});
  INFO(back.err);
  REQUIRE(back.exit_code == 0);
  CHECK(seeded.value("SELECT count(*) FROM orders") == "0");
  CHECK(back.out.find("safety snapshot") == std::string::npos);
}

TEST_CASE("snapshot names follow the one name rule, and an existing name needs --replace", "[integration][snapshot]") {
  Seeded seeded;
  for (const std::string& bad : std::vector<std::string>{"a/b", "..", "../up", "x y", "tab\tname", std::string(65, 'n'),
                                                         "-flag-like", ".hidden"}) {
    const auto run = run_pgseed({"snapshot", "-C", seeded.root(), "--database-url", seeded.url(), "--", bad});
    INFO(bad << "\n" << run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("snapshot name") != std::string::npos);
  }
  CHECK((!fs::exists(seeded.snapshots()) || fs::is_empty(seeded.snapshots())));

  REQUIRE(run_pgseed({"snapshot", "same", "-C", seeded.root(), "--database-url", seeded.url()}).exit_code == 0);
  const auto first = core::read_metadata(seeded.snapshots() / "same.metadata.json");
  const auto again = run_pgseed({"snapshot", "same", "-C", seeded.root(), "--database-url", seeded.url()});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("snapshot same already exists") != std::string::npos);
  seeded.execute("DELETE FROM orders");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a distinct timestamp
  const auto replaced = run_pgseed({"snapshot", "same", "--replace", "-C", seeded.root(), "--database-url", seeded.url()});
  REQUIRE(replaced.exit_code == 0);
  const auto second = core::read_metadata(seeded.snapshots() / "same.metadata.json");
  CHECK(second.record_counts.at("public.orders") == 0);
  CHECK(second.timestamp != first.timestamp);

  // No name: <database>-<time>.
  const auto unnamed = run_pgseed({"snapshot", "-C", seeded.root(), "--database-url", seeded.url()});
  REQUIRE(unnamed.exit_code == 0);
  CHECK(unnamed.out.rfind(seeded.database.database() + "-20", 0) == 0);
  // A name that is not a snapshot and not a file is refused, naming the directory.
  const auto missing = run_pgseed({"restore", "nosuchsnapshot", "--yes", "-C", seeded.root(), "--database-url", seeded.url()});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("snapshot nosuchsnapshot does not exist") != std::string::npos);
}

TEST_CASE("a partial snapshot replaces only its tables, with foreign keys and counts checked", "[integration][snapshot]") {
  Seeded seeded;
  const auto take = run_pgseed({"snapshot", "trading", "-t", "public.orders", "-t", "public.positions", "-C", seeded.root(),
                                "--database-url", seeded.url()});
  INFO(take.err);
  REQUIRE(take.exit_code == 0);
  const auto metadata = core::read_metadata(seeded.snapshots() / "trading.metadata.json");
  CHECK(metadata.partial());
  CHECK(metadata.record_counts.size() == 2);
  const std::string orders = std::to_string(metadata.record_counts.at("public.orders"));

  // Change the covered tables and one that is not covered.
  seeded.execute("DELETE FROM orders; DELETE FROM positions; UPDATE coins SET name = 'untouched change'");
  const auto restore = run_pgseed({"restore", "trading", "--yes", "-C", seeded.root(), "--database-url", seeded.url()});
  INFO(restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(restore.out.find("partly replaced") != std::string::npos);
  CHECK(seeded.value("SELECT count(*) FROM orders") == orders);
  CHECK(seeded.value("SELECT count(*) FROM coins WHERE name = 'untouched change'") != "0");

  SECTION("rows pointing at users the database no longer has: rolled back, nothing changed") {
    // orders reference users; users is not in the snapshot. Remove a user the snapshot's orders need.
    const std::string user = seeded.value("SELECT min(user_id) FROM orders");
    seeded.execute("SET session_replication_role = replica; DELETE FROM users WHERE id = " + user + "; DELETE FROM orders");
    const auto refused = run_pgseed({"restore", "trading", "--yes", "--no-safety-snapshot", "-C", seeded.root(),
                                     "--database-url", seeded.url()});
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("rolled back") != std::string::npos);
    INFO(refused.err);
    CHECK(refused.err.find("foreign key") != std::string::npos);
    CHECK(seeded.value("SELECT count(*) FROM orders") == "0");  // as it was before the attempt
  }
  SECTION("a rolled-back restore leaves no sequence behind the rows the database keeps") {
    // New orders take ids past the snapshot's; the snapshot's data sets the sequence back to its
    // own position, and setval does not roll back with the rows.
    seeded.execute("INSERT INTO orders (user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at) "
                   "SELECT user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at FROM orders LIMIT 50");
    const std::string user = seeded.value("SELECT min(user_id) FROM orders");
    seeded.execute("SET session_replication_role = replica; DELETE FROM users WHERE id = " + user);
    const auto refused = run_pgseed({"restore", "trading", "--yes", "--no-safety-snapshot", "-C", seeded.root(),
                                     "--database-url", seeded.url()});
    INFO(refused.err);
    REQUIRE(refused.exit_code == 3);
    CHECK(seeded.value("SELECT last_value >= (SELECT max(id) FROM orders) FROM orders_id_seq") == "t");
    seeded.execute("INSERT INTO orders (user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at) "
                   "SELECT user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at FROM orders LIMIT 1");
  }
  SECTION("a table the snapshot holds that the database lacks: refused before anything changes") {
    seeded.execute("ALTER TABLE orders RENAME TO orders_renamed");
    const auto refused = run_pgseed({"restore", "trading", "--yes", "-C", seeded.root(), "--database-url", seeded.url()});
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("has no table public.orders") != std::string::npos);
  }
}

TEST_CASE("restore and snapshot of one database wait for each other, or fail at once with --no-wait", "[integration][snapshot][concurrency]") {
  Seeded seeded;
  // Hold the target lock the way a running restore does.
  pg::Connection holder(testing::test_server().connection("postgres"));
  REQUIRE(holder.query_value("SELECT pg_try_advisory_lock(" + std::to_string(0x70677374) + ", hashtext(" +
                             holder.quote_literal(seeded.database.database()) + "))") == "t");
  const auto busy = run_pgseed({"snapshot", "x", "--no-wait", "-C", seeded.root(), "--database-url", seeded.url()});
  CHECK(busy.exit_code == 5);
  CHECK(busy.err.find("busy: another pgseed run") != std::string::npos);
  auto waiting = std::async(std::launch::async, [&] {
    return run_pgseed({"snapshot", "y", "-C", seeded.root(), "--database-url", seeded.url()});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(waiting.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);  // still waiting
  holder.execute("SELECT pg_advisory_unlock_all()");
  const auto done = waiting.get();
  INFO(done.err);
  CHECK(done.exit_code == 0);
  CHECK(done.err.find("waiting for another pgseed run") != std::string::npos);
}

TEST_CASE("a snapshot killed at random points leaves a complete snapshot or none, and the next run cleans up",
          "[integration][snapshot][kill]") {
  Seeded seeded;
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(run_pgseed({"snapshot", "timing", "-C", seeded.root(), "--database-url", seeded.url()}).exit_code == 0);
  const auto whole = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  const unsigned seed = std::random_device{}();
  std::cout << "kill points for snapshot: seed " << seed << ", a snapshot takes " << whole.count() << " ms" << std::endl;
  std::mt19937 random(seed);
  // Up to one and a half times the whole run: some kills land after the snapshot is complete too.
  std::uniform_int_distribution<int> delay(0, static_cast<int>(whole.count() * 15 / 10));
  int complete = 0;
  for (int point = 0; point < 20; ++point) {
    const std::string name = "killed-" + std::to_string(point);
    const int milliseconds = delay(random);
    INFO("seed " << seed << ", kill point " << point << " after " << milliseconds << " ms");
    const pid_t pid = testing::start_pgseed({"snapshot", name, "-C", seeded.root(), "--database-url", seeded.url()});
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const fs::path dump = seeded.snapshots() / (name + ".dump");
    if (fs::exists(dump)) {
      // Under its final name only when complete: it verifies against its metadata.
      const auto verify = run_pgseed({"verify", dump.string()});
      INFO(verify.err);
      CHECK(verify.exit_code == 0);
      ++complete;
    }
  }
  std::cout << "snapshots complete before their kill: " << complete << " of 20" << std::endl;
  // The next snapshot removes the temporary files the kills left; their pg_dump died with pgseed.
  REQUIRE(run_pgseed({"snapshot", "next", "-C", seeded.root(), "--database-url", seeded.url()}).exit_code == 0);
  for (const auto& entry : fs::directory_iterator(seeded.snapshots())) {
    INFO(entry.path());
    CHECK(entry.path().filename().string()[0] != '.');
  }
  CHECK(testing::processes_using(seeded.snapshots().string()).empty());
}
