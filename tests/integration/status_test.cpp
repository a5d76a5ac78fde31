// pgseed status on a real server: what it says about the database, its origin, migrations, disk and
// templates, as JSON and for people.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/templates.h"
#include "pgseed/pg/database.h"

#include <nlohmann/json.hpp>

#include <sstream>

using namespace pgseed;
using testing::run_pgseed;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json status_json(const std::vector<std::string>& arguments, std::map<std::string, std::optional<std::string>> env = {}) {
  auto args = arguments;
  args.insert(args.begin(), {"status", "--json"});
  const auto run = run_pgseed(args, env);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return json::parse(run.out);
}

const json* table_named(const json& status, const std::string& name) {
  for (const auto& table : status["tables"]) {
    if (table["name"] == name) return &table;
  }
  return nullptr;
}

// The provenance table exactly as scripts/init-db.sh creates it.
void record_provenance(const pg::ConnInfo& database, const std::string& file) {
  pg::Connection connection(database);
  connection.execute(R"sql(
    CREATE TABLE public.pgseed_provenance (
      dump_file   text NOT NULL,
      checksum    text NOT NULL,
      git_version text NOT NULL,
      environment text NOT NULL,
      dumped_at   timestamptz,
      restored_at timestamptz NOT NULL DEFAULT now(),
      restored_by text NOT NULL DEFAULT 'pgseed-init'
    ))sql");
  connection.execute("INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, dumped_at, restored_at) "
                     "VALUES ('old.dump', 'aa', 'bb', 'dev', now() - interval '2 days', now() - interval '1 day')");
  connection.execute("INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, dumped_at, restored_by) "
                     "VALUES (" + connection.quote_literal(file) +
                     ", 'c0ffee', '0123456789abcdef0123456789abcdef01234567', 'dev', '2026-01-02T03:04:05Z', 'pgseed restore')");
}

}  // namespace

TEST_CASE("status describes tables, origin, migrations, protection, disk and templates", "[integration][status]") {
  testing::ScratchProject project;
  const std::string root = project.root().string();
  const auto database = testing::fresh_database("status");
  const std::string url = database.keyword_string();
  REQUIRE(run_pgseed({"migrate", "-C", root, "--database-url", url}).exit_code == 0);
  REQUIRE(run_pgseed({"seed", "-C", root, "--database-url", url, "--set", "users=20"}).exit_code == 0);
  record_provenance(database, "dev-seeded-v0123456-20260102T030405Z-abcd1234.dump");

  // The project moves on: one new migration, one applied migration edited.
  project.write("migrations/0099_add_notes.sql", "CREATE TABLE notes (id int);\n");
  const fs::path edited = project.root() / "migrations" / "0002_create_algorithms.sql";
  testing::write_text(edited, testing::read_text(edited) + "\n-- edited after it was applied\n");

  // Known sizes on disk: 1000 + 24 bytes of dumps (the latest link is not counted twice), 3000 of snapshots.
  project.write("dumps/dev-seeded-v1-x.dump", std::string(1000, 'd'));
  project.write("dumps/dev-seeded-v1-x.metadata.json", std::string(24, 'm'));
  fs::create_symlink("dev-seeded-v1-x.dump", project.root() / "dumps" / "dev-seeded-latest.dump");
  util::TemporaryDirectory snapshots("pgseed-test-snapshots-");
  testing::write_text(snapshots.path() / "before.dump", std::string(2000, 's'));
  testing::write_text(snapshots.path() / "before.metadata.json", std::string(1000, 'm'));

  // A template as reset leaves it.
  const std::string key = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";
  const std::string template_database = core::template_name(key);
  {
    pg::Connection admin(testing::test_server().connection("postgres"));
    admin.execute("DROP DATABASE IF EXISTS " + template_database);
    admin.execute("CREATE DATABASE " + template_database);
    admin.execute("COMMENT ON DATABASE " + template_database + " IS " +
                  admin.quote_literal(core::template_comment(core::TemplateKind::dump, key, "dev-seeded-v1-x.dump")));
  }

  const auto status = status_json({"-C", root, "--database-url", url}, {{"PGSEED_SNAPSHOT_DIR", snapshots.path().string()}});
  INFO(status.dump(2));
  CHECK(status["target"]["database"] == database.database());
  CHECK(status["target"]["onThisMachine"] == true);
  CHECK(status["server"]["version"].get<std::string>().rfind("15", 0) == 0);
  CHECK(status["exists"] == true);
  CHECK(status["sizeBytes"].get<std::int64_t>() ==
        std::stoll(testing::query_value(database, "SELECT pg_database_size(current_database())")));
  CHECK(status["protected"] == false);

  // Tables: exact counts and pg_total_relation_size, pgseed's own tables left out.
  CHECK(status["rowCountsExact"] == true);
  const json* users = table_named(status, "public.users");
  REQUIRE(users != nullptr);
  CHECK((*users)["rows"] == 21);
  CHECK((*users)["sizeBytes"].get<std::int64_t>() ==
        std::stoll(testing::query_value(database, "SELECT pg_total_relation_size('public.users')")));
  CHECK(table_named(status, "public.pgseed_migrations") == nullptr);
  CHECK(table_named(status, "public.pgseed_provenance") == nullptr);

  // Origin: the newest provenance row.
  const json& provenance = status["provenance"];
  CHECK(provenance["kind"] == "dump");
  CHECK(provenance["file"] == "dev-seeded-v0123456-20260102T030405Z-abcd1234.dump");
  CHECK(provenance["restoredBy"] == "pgseed restore");
  CHECK(provenance["gitVersion"] == "0123456789abcdef0123456789abcdef01234567");
  CHECK(provenance["dumpedAt"].get<std::string>().rfind("2026-01-02T03:04:05", 0) == 0);

  // Migrations the database lacks, and one that changed after it was applied.
  const json& migrations = status["migrations"];
  CHECK(migrations["projectCount"] == 7);
  CHECK(migrations["applied"].size() == 6);
  CHECK(migrations["pending"] == json::array({"0099_add_notes"}));
  CHECK(migrations["changed"] == json::array({"0002_create_algorithms"}));
  CHECK(migrations["upToDate"] == false);

  CHECK(status["disk"]["dumps"]["bytes"] == 1024);
  CHECK(status["disk"]["dumps"]["files"] == 2);
  CHECK(status["disk"]["snapshots"]["bytes"] == 3000);
  CHECK(status["disk"]["snapshots"]["directory"] == snapshots.path().string());

  bool found_template = false;
  for (const auto& item : status["templates"]) {
    if (item["name"] != template_database) continue;
    found_template = true;
    CHECK(item["kind"] == "dump");
    CHECK(item["detail"] == "dev-seeded-v1-x.dump");
    CHECK(item["sizeBytes"].get<std::int64_t>() > 1000000);  // a copy of template1: some MiB
  }
  CHECK(found_template);

  // --snapshot-dir wins over the variable; the default is <project>/.pgseed/snapshots.
  CHECK(status_json({"-C", root, "--database-url", url, "--snapshot-dir", root})["disk"]["snapshots"]["directory"] == root);
  CHECK(status_json({"-C", root, "--database-url", url})["disk"]["snapshots"]["directory"] ==
        (project.root() / ".pgseed" / "snapshots").string());

  // A newer restore from a snapshot: the name is found in the snapshot directory.
  {
    pg::Connection connection(database);
    connection.execute("INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, restored_at, restored_by) "
                       "VALUES ('before.dump', 'dd', 'ee', 'dev', now() + interval '1 minute', 'pgseed restore')");
  }
  const auto from_snapshot = status_json({"-C", root, "--database-url", url}, {{"PGSEED_SNAPSHOT_DIR", snapshots.path().string()}});
  CHECK(from_snapshot["provenance"]["kind"] == "snapshot");
  CHECK(from_snapshot["provenance"]["file"] == "before.dump");

  // Protection shows with its reasons.
  REQUIRE(run_pgseed({"protect", "-C", root, "--database-url", url}).exit_code == 0);
  const auto protected_status = status_json({"-C", root, "--database-url", url, "-e", "prod"});
  CHECK(protected_status["protected"] == true);
  CHECK(protected_status["protectedReasons"].size() == 2);

  // The human form: aligned table lines, sizes in MiB units, the same facts.
  const auto human = run_pgseed({"status", "-C", root, "--database-url", url}, {{"PGSEED_SNAPSHOT_DIR", snapshots.path().string()}});
  INFO(human.out);
  REQUIRE(human.exit_code == 0);
  CHECK(human.out.find("PostgreSQL 15") != std::string::npos);
  CHECK(human.out.find("protected   yes: it is marked protected") != std::string::npos);
  CHECK(human.out.find("came from   snapshot before.dump") != std::string::npos);
  CHECK(human.out.find("missing here: 0099_add_notes") != std::string::npos);
  CHECK(human.out.find("changed since applied: 0002_create_algorithms") != std::string::npos);
  CHECK(human.out.find("2.9 KiB in 2 files") != std::string::npos);
  CHECK(human.out.find(template_database) != std::string::npos);
  std::istringstream lines(human.out);
  std::string line;
  std::size_t rows_column = std::string::npos;
  int table_lines = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("  public.", 0) != 0) continue;
    ++table_lines;
    const auto column = line.find(" rows");
    if (rows_column == std::string::npos) rows_column = column;
    CHECK(column == rows_column);
  }
  CHECK(table_lines == static_cast<int>(status["tables"].size()));

  pg::Connection admin(testing::test_server().connection("postgres"));
  admin.execute("DROP DATABASE " + template_database);
}

TEST_CASE("status of a database that does not exist yet says so", "[integration][status]") {
  testing::ScratchProject project;
  const auto missing = testing::test_server().connection("status_never_created");
  const auto run = run_pgseed({"status", "-C", project.root().string(), "--database-url", missing.keyword_string()});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("status_never_created does not exist") != std::string::npos);
  const auto status = status_json({"-C", project.root().string(), "--database-url", missing.keyword_string()});
  CHECK(status["exists"] == false);
  CHECK(status["tables"].empty());
  CHECK(status["migrations"]["pending"].size() == 6);
  CHECK(status["disk"]["dumps"]["exists"] == false);

  // A password in the URL shows nowhere.
  const auto with_password = testing::test_server().tcp_connection("status_never_created").with("password", "s3cret-word");
  for (const bool as_json : {false, true}) {
    std::vector<std::string> args{"status", "-C", project.root().string(), "--database-url", with_password.keyword_string()};
    if (as_json) args.push_back("--json");
    const auto shown = run_pgseed(args);
    INFO(shown.err);
    CHECK(shown.exit_code == 0);
    CHECK((shown.out + shown.err).find("s3cret") == std::string::npos);
    CHECK(shown.out.find("status_never_created") != std::string::npos);
  }

  // An unreachable server is an error (4), not a status.
  const auto unreachable = run_pgseed({"status", "-C", project.root().string(), "--database-url",
                                       "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2"});
  CHECK(unreachable.exit_code == 4);
  CHECK(run_pgseed({"status", "--help"}).out.find("--json") != std::string::npos);
}

TEST_CASE("status with nothing configured describes the project's local server", "[integration][status][local]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"status", "-C", project.root().string()});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("local server") != std::string::npos);
  CHECK(run.out.find("(the project's local server)") != std::string::npos);
  run_pgseed({"down", "-C", project.root().string()});
}
