#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <nlohmann/json.hpp>

using namespace pgseed;
using testing::run_pgseed;

namespace {

const std::vector<std::string> example_tables = {"coins",         "users",     "algorithms", "price_data_5min",
                                                 "news_articles", "positions", "orders",     "agent_sessions"};

// A migrated database of the example app.
pg::ConnInfo migrated_database(const testing::ScratchProject& project, const std::string& label) {
  const auto database = testing::fresh_database(label);
  const auto run = run_pgseed({"migrate", "-C", project.root().string(), "--database-url", database.keyword_string()});
  if (run.exit_code != 0) throw std::runtime_error("migrate failed: " + run.err);
  return database;
}

testing::PgseedRun seed(const testing::ScratchProject& project, const pg::ConnInfo& database,
                        std::vector<std::string> extra = {}, std::map<std::string, std::optional<std::string>> env = {}) {
  std::vector<std::string> arguments = {"seed", "-C", project.root().string(), "--database-url", database.keyword_string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return run_pgseed(arguments, std::move(env));
}

// A content fingerprint of one table: every row, in a fixed order.
std::string table_fingerprint(const pg::ConnInfo& database, const std::string& table, const std::string& where = "true") {
  return testing::query_value(database, "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM " +
                                            table + " t WHERE " + where);
}

std::string count_of(const pg::ConnInfo& database, const std::string& table) {
  return testing::query_value(database, "SELECT count(*) FROM " + table);
}

}  // namespace

TEST_CASE("two fresh databases seeded with the dev profile hold identical data", "[integration][seed]") {
  testing::ScratchProject project;
  const auto first = migrated_database(project, "det_a");
  const auto second = migrated_database(project, "det_b");
  REQUIRE(seed(project, first).exit_code == 0);
  REQUIRE(seed(project, second).exit_code == 0);
  for (const auto& table : example_tables) {
    INFO(table);
    CHECK(std::stoll(count_of(first, table)) > 0);
    CHECK(table_fingerprint(first, table) == table_fingerprint(second, table));
  }
  CHECK(count_of(first, "users") == "11");
  CHECK(count_of(first, "price_data_5min") == "20160");
  // Seeding stores large values with lz4 (faster than pglz); the data is the same either way.
  CHECK(testing::news_body_compressions(first) == "lz4");
}

TEST_CASE("setting users=25 gives exactly 5 more users than users=20 and identical prices", "[integration][seed]") {
  testing::ScratchProject project;
  const auto twenty = migrated_database(project, "set20");
  const auto twenty_five = migrated_database(project, "set25");
  REQUIRE(seed(project, twenty, {"--set", "users=20"}).exit_code == 0);
  REQUIRE(seed(project, twenty_five, {"--set", "users=25"}).exit_code == 0);
  CHECK(count_of(twenty, "users") == "21");  // 20 generated + the superuser from SQL
  CHECK(count_of(twenty_five, "users") == "26");
  // The first 20 generated users are the same rows; tables that do not depend on users are identical.
  CHECK(table_fingerprint(twenty, "users", "id <= 20") == table_fingerprint(twenty_five, "users", "id <= 20"));
  CHECK(table_fingerprint(twenty, "price_data_5min") == table_fingerprint(twenty_five, "price_data_5min"));
  CHECK(table_fingerprint(twenty, "news_articles") == table_fingerprint(twenty_five, "news_articles"));
  // The superuser comes after the generated users: the serial sequence was moved past them.
  CHECK(testing::query_value(twenty_five, "SELECT id FROM users WHERE is_superuser") == "26");
}

TEST_CASE("counts come from the environment, and --set wins over it", "[integration][seed]") {
  testing::ScratchProject project;
  const auto from_env = migrated_database(project, "envcount");
  REQUIRE(seed(project, from_env, {}, {{"PGSEED_COUNT_USERS", "7"}}).exit_code == 0);
  CHECK(count_of(from_env, "users") == "8");
  const auto both = migrated_database(project, "envset");
  // (at least 5 users: the 50 dev positions are unique per user and coin, and there are 10 coins)
  REQUIRE(seed(project, both, {"--set", "users=6"}, {{"PGSEED_COUNT_USERS", "7"}}).exit_code == 0);
  CHECK(count_of(both, "users") == "7");
}

TEST_CASE("generated foreign keys point at existing rows and unique constraints hold", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "fk");
  // More users and positions than dev: collisions on positions(user_id, coin) are certain.
  REQUIRE(seed(project, database, {"--set", "users=30", "--set", "positions=250", "--set", "orders=2000"}).exit_code == 0);
  const std::vector<std::pair<std::string, std::string>> references = {
      {"algorithms", "SELECT count(*) FROM algorithms a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL"},
      {"positions", "SELECT count(*) FROM positions p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL"},
      {"orders.user_id", "SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL"},
      {"orders.algorithm_id", "SELECT count(*) FROM orders o LEFT JOIN algorithms a ON a.id = o.algorithm_id "
                              "WHERE o.algorithm_id IS NOT NULL AND a.id IS NULL"},
      {"agent_sessions", "SELECT count(*) FROM agent_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL"},
  };
  for (const auto& [what, sql] : references) {
    INFO(what);
    CHECK(testing::query_value(database, sql) == "0");
  }
  CHECK(count_of(database, "positions") == "250");
  CHECK(testing::query_value(database, "SELECT count(*) - count(DISTINCT (user_id, coin)) FROM positions") == "0");
  CHECK(testing::query_value(database, "SELECT count(*) - count(DISTINCT url) FROM news_articles") == "0");
  // Some orders have no algorithm (nulls: 0.3), most have one.
  const int without = std::stoi(testing::query_value(database, "SELECT count(*) FROM orders WHERE algorithm_id IS NULL"));
  CHECK(without > 400);
  CHECK(without < 800);

  // More positions than (user, coin) pairs exist: a clear error, and nothing written.
  const auto impossible = migrated_database(project, "fk_impossible");
  const auto run = seed(project, impossible, {"--set", "users=2", "--set", "positions=21"});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("unique on (user_id, coin)") != std::string::npos);
  CHECK(count_of(impossible, "users") == "0");
}

TEST_CASE("seeding again changes nothing, other counts need --clear", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "again");
  REQUIRE(seed(project, database).exit_code == 0);
  const std::string before = table_fingerprint(database, "orders");

  const auto again = seed(project, database);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing changed") != std::string::npos);
  CHECK(count_of(database, "users") == "11");

  const auto other = seed(project, database, {"--set", "users=12"});
  CHECK(other.exit_code == 5);
  CHECK(other.err.find("already holds a different seed set") != std::string::npos);
  CHECK(other.err.find("--clear") != std::string::npos);

  const auto unconfirmed = seed(project, database, {"--set", "users=12", "--clear"});
  CHECK(unconfirmed.exit_code == 5);
  CHECK(unconfirmed.err.find("nobody confirmed") != std::string::npos);
  CHECK(count_of(database, "users") == "11");

  const auto cleared = seed(project, database, {"--set", "users=12", "--clear", "--yes"});
  CHECK(cleared.exit_code == 0);
  CHECK(cleared.out.find("cleared and ran") != std::string::npos);
  CHECK(count_of(database, "users") == "13");
  CHECK(count_of(database, "coins") == "10");  // reloaded, not doubled
  CHECK(testing::query_value(database, "SELECT min(id) FROM users") == "1");  // RESTART IDENTITY
}

TEST_CASE("a seed that fails midway leaves no partial data", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "midway");
  project.write("seeds/sql/broken.sql", "INSERT INTO no_such_table VALUES (1);");
  auto profile = nlohmann::json::parse(testing::read_text(project.root() / "seeds" / "dev.json"));
  profile["steps"].push_back({{"sql", "sql/broken.sql"}});
  project.write("seeds/dev.json", profile.dump(2));
  const auto run = seed(project, database);
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("broken.sql failed: relation \"no_such_table\" does not exist") != std::string::npos);
  for (const auto& table : example_tables) {
    INFO(table);
    CHECK(count_of(database, table) == "0");
  }
  CHECK(count_of(database, "pgseed_seed_state") == "0");
}

TEST_CASE("tables and columns the database does not have are refused before writing", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "schema");
  struct Case {
    const char* what;
    std::string step;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown table", R"({"generate": "userz", "count": 1, "columns": {"id": {"generator": "sequence"}}})",
       "at /steps/1/generate: table 'userz' does not exist"},
      {"unknown column", R"({"generate": "coins", "count": 1, "columns": {"symbol": {"generator": "pattern", "pattern": "C{n}"}, "colour": {"generator": "constant", "value": "red"}}})",
       "at /steps/1/columns/colour: table coins has no column 'colour'"},
      {"NOT NULL column without a generator", R"({"generate": "coins", "count": 1, "columns": {"symbol": {"generator": "pattern", "pattern": "C{n}"}}})",
       "is NOT NULL and has no default; give it a generator"},
  };
  for (const auto& test : cases) {
    INFO(test.what);
    project.write("seeds/bad.json", std::string(R"({"seed": 1, "steps": [{"sql": "sql/superuser.sql"}, )") + test.step + "]}");
    const auto run = seed(project, database, {"-e", "bad"});
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(test.message) != std::string::npos);
    CHECK(count_of(database, "users") == "0");  // the SQL step before it was rolled back too
  }
}

TEST_CASE("a dry run prints the plan without any database", "[integration][seed]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"seed", "-C", project.root().string(), "--dry-run", "--set", "users=3", "--scale", "2",
                               "--database-url", "postgresql://nobody@127.0.0.1:1/none"});
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("generate users: 3 rows") != std::string::npos);
  CHECK(run.out.find("generate price_data_5min: 40320 rows") != std::string::npos);
  CHECK(run.out.find("csv coins.csv -> coins") != std::string::npos);
}

TEST_CASE("a CSV file is parsed by the server: quotes, commas, newlines and NULLs load exactly", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "csvexact");
  // Columns in another order than the table's, a quoted header name, CRLF line ends, a quoted field
  // holding a comma, a doubled quote, a newline and a CRLF; an unquoted empty field is NULL, "" is ''.
  project.write("seeds/reference/odd.csv",
                "name,\"symbol\",launched,category\r\n"
                "\"Bit, coin\",BTC,2009-01-03,currency\r\n"
                "\"The \"\"Ether\"\"\",ETH,,\"plat\nform\"\r\n"
                "\"\",X,2020-02-29,\"two\r\nlines\"\r\n");
  project.write("seeds/csv.json", R"({"seed": 1, "steps": [{"csv": "reference/odd.csv", "table": "coins"}]})");
  const auto run = seed(project, database, {"-e", "csv"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(testing::query_value(database, "SELECT string_agg(format('%s|%s|%s|%s', quote_nullable(symbol), quote_nullable(name), "
                                       "quote_nullable(category), quote_nullable(launched)), ';' ORDER BY symbol) FROM coins") ==
        "'BTC'|'Bit, coin'|'currency'|'2009-01-03';"
        "'ETH'|'The \"Ether\"'|'plat\nform'|NULL;"
        "'X'|''|'two\r\nlines'|'2020-02-29'");
}

TEST_CASE("a malformed CSV file is refused with the profile step, the file and the record", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = migrated_database(project, "csvbad");
  struct Case {
    const char* what;
    std::string csv;
    std::vector<std::string> messages;
  };
  const std::vector<Case> cases = {
      {"a record with an extra field", "symbol,name,category\nA,a,x\nB,b,y,extra\n",
       {"extra data after last expected column", "COPY coins, line 3"}},
      {"a record with a missing field", "symbol,name,category\nA,a,x\nB,b\n",
       {"missing data for column \"category\"", "COPY coins, line 3"}},
      {"an unterminated quote", "symbol,name,category\nA,\"a,x\nB,b,y\n", {"unterminated CSV quoted field", "COPY coins, line"}},
      {"a value of the wrong type", "symbol,name,category,launched\nA,a,x,2024-13-45\n",
       {"date/time field value out of range", "COPY coins, line 2, column launched"}},
      {"an unterminated quote in the header", "symbol,\"name\n", {"unterminated quote in the header"}},
  };
  for (const auto& test : cases) {
    INFO(test.what);
    project.write("seeds/reference/bad.csv", test.csv);
    project.write("seeds/bad.json",
                  R"({"seed": 1, "steps": [{"sql": "sql/superuser.sql"}, {"csv": "reference/bad.csv", "table": "coins"}]})");
    const auto run = seed(project, database, {"-e", "bad"});
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("seed profile seeds/bad.json at /steps/1/csv: CSV file ") != std::string::npos);
    CHECK(run.err.find("bad.csv") != std::string::npos);
    for (const auto& message : test.messages) CHECK(run.err.find(message) != std::string::npos);
    CHECK(count_of(database, "coins") == "0");
    CHECK(count_of(database, "users") == "0");  // the SQL step before it was rolled back too
  }
}
