#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <chrono>
#include <string>
#include <thread>

using namespace pgseed;

namespace {
// Ends backend `pid` from `killer`'s session as soon as it sits in pg_sleep (or after 5 s), so that
// the statement under test is the one running when its connection breaks.
std::thread terminate_once_sleeping(pg::Connection& killer, const std::string& pid) {
  return std::thread([&killer, pid] {
    for (int i = 0; i < 100; ++i) {
      if (killer.query_value("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND wait_event = 'PgSleep'") == "1")
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    killer.execute("SELECT pg_terminate_backend(" + pid + ")");
  });
}
}  // namespace

// The running statement's connection breaks when a SIGTERM shuts the embedded server down. libpqxx 6.4
// then leaked the statement's result (LeakSanitizer, preset "sanitize") and reported "Could not
// obtain client encoding" instead of why the connection ended.
TEST_CASE("a transaction whose connection breaks mid-statement reports the server's reason", "[integration][database]") {
  const auto database = testing::fresh_database("broken");
  pg::Connection victim(database);
  pg::Connection killer(database);
  const std::string pid = victim.query_value("SELECT pg_backend_pid()");
  pg::Transaction transaction(victim);
  transaction.execute("CREATE TABLE t (x int)");  // the transaction is under way when the server ends it
  std::thread terminate = terminate_once_sleeping(killer, pid);
  std::string message;
  try {
    transaction.query("SELECT pg_sleep(30)");
  } catch (const Error& e) {
    message = e.what();
    CHECK(e.code() == ExitCode::database);
  }
  terminate.join();
  INFO(message);
  CHECK(message.rfind("lost the connection to the server: terminating connection due to administrator command", 0) == 0);
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("a connection that breaks mid-statement outside a transaction reports the server's reason", "[integration][database]") {
  const auto database = testing::fresh_database("brokenauto");
  pg::Connection victim(database);
  pg::Connection killer(database);
  const std::string pid = victim.query_value("SELECT pg_backend_pid()");
  std::thread terminate = terminate_once_sleeping(killer, pid);
  std::string message;
  try {
    victim.execute("SELECT pg_sleep(30)");
  } catch (const Error& e) {
    message = e.what();
  }
  terminate.join();
  INFO(message);
  // libpqxx 7 words it "Lost connection to the database server"; 6.4 used to say "Could not obtain
  // client encoding", and leak.
  CHECK(message.rfind("lost the connection to the server: ", 0) == 0);
  CHECK(message.find("client encoding") == std::string::npos);
}

TEST_CASE("a failed statement in a transaction is an SqlError with the server's message and SQLSTATE", "[integration][database]") {
  const auto database = testing::fresh_database("sqlerror");
  pg::Connection connection(database);
  pg::Transaction transaction(connection);
  CHECK(transaction.query("SELECT 1, NULL::text, 'a\tb'") == pg::Rows{{std::string("1"), std::nullopt, std::string("a\tb")}});
  try {
    transaction.execute("SELECT * FROM no_such_table");
    FAIL("no error");
  } catch (const pg::SqlError& e) {
    CHECK(std::string(e.what()) == "relation \"no_such_table\" does not exist");
    CHECK(e.sqlstate() == "42P01");
  }
}
