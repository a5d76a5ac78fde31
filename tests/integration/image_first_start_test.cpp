// The init script in the official postgres image's first start, reproduced by
// tests/image/first-start.sh, with the init directory installed by the real `cmake --install`.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/sha256.h"

#include <sys/stat.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

// A project with a fresh dev dump, made once per test process.
const testing::ScratchProject& dumped_project() {
  static testing::ScratchProject project;
  static const bool dumped = [] {
    const auto run = testing::run_pgseed({"dump", "-C", project.root().string()});
    if (run.exit_code != 0) throw std::runtime_error("dump for the image tests failed: " + run.err);
    return true;
  }();
  (void)dumped;
  return project;
}

void make_readable_by_server(const fs::path& path) { ::chmod(path.c_str(), 0755); }

// `cmake --install <build> --component initdb --prefix <dir>`, with the dump directory chosen at install time.
fs::path install_initdb(const fs::path& prefix, const fs::path& dump_directory) {
  util::Command command;
  command.argv = {"cmake", "--install", PGSEED_BUILD_DIR, "--component", "initdb", "--prefix", prefix.string()};
  command.env["PGSEED_DUMP_DIR"] = dump_directory.string();
  command.env["PGSEED_ENVIRONMENT"] = "dev";
  const auto result = util::run_command(command);
  if (!result.ok()) throw std::runtime_error("cmake --install failed: " + result.stderr_text + result.stdout_text);
  make_readable_by_server(prefix);
  return prefix / "docker-entrypoint-initdb.d";
}

using Env = std::map<std::string, std::optional<std::string>>;

class FirstStart {
public:
  explicit FirstStart(Env env = {}) : env_(std::move(env)) {
    make_readable_by_server(work_.path());
    make_readable_by_server(install_.path());
  }
  ~FirstStart() {
    util::Command stop;
    stop.argv = {"bash", harness(), "stop", (work_.path() / "pg").string()};
    stop.on_interrupt = util::Command::OnInterrupt::ignore;
    try {
      util::run_command(stop);
    } catch (...) {
    }
  }

  fs::path install(const fs::path& dump_directory) { return install_initdb(install_.path(), dump_directory); }

  util::CommandResult run(const fs::path& initdb_directory) {
    util::Command command;
    command.argv = {"bash", harness(), "start", initdb_directory.string(), (work_.path() / "pg").string()};
    command.env = env_;
    command.env["PGPORT"] = std::to_string(port_);
    for (const char* variable : {"PGHOST", "PGUSER", "PGDATABASE", "PGPASSWORD", "DATABASE_URL"}) {
      command.env.emplace(variable, std::nullopt);
    }
    return util::run_command(command);
  }

  pg::ConnInfo connection() const {
    const auto value = [&](const char* key, const std::string& fallback) {
      const auto found = env_.find(key);
      return found != env_.end() && found->second ? *found->second : fallback;
    };
    const std::string user = value("POSTGRES_USER", "postgres");
    return pg::ConnInfo::from_options({{"host", "127.0.0.1"},
                                       {"port", std::to_string(port_)},
                                       {"user", user},
                                       {"password", value("POSTGRES_PASSWORD", "harness-password")},
                                       {"dbname", value("POSTGRES_DB", user)}});
  }
  bool server_running() const { return fs::exists(work_.path() / "pg" / "data" / "postmaster.pid"); }

  // The container's next start after a failed init: PGDATA exists, so the image just starts the server.
  util::CommandResult next_start() {
    util::Command command;
    command.argv = {"bash", harness(), "next-start", (work_.path() / "pg").string()};
    command.env["PGPORT"] = std::to_string(port_);
    return util::run_command(command);
  }

private:
  static std::string harness() { return std::string(PGSEED_SOURCE_DIR) + "/tests/image/first-start.sh"; }
  std::map<std::string, std::optional<std::string>> env_;
  util::TemporaryDirectory work_{"pgseed-image-"};
  util::TemporaryDirectory install_{"pgseed-initdb-"};
  int port_ = pg::find_free_port();
};

core::RecordCounts expected_counts() {
  const auto& project = dumped_project();
  return core::read_metadata(core::metadata_path_for(testing::latest_real_dump(project.dumps()))).record_counts;
}

void check_counts(const pg::ConnInfo& database) {
  pg::Connection connection(database);
  for (const auto& [table, count] : expected_counts()) {
    INFO(table);
    CHECK(connection.query_value("SELECT count(*) FROM " + table) == std::to_string(count));
  }
}

// A PATH like an image without the openssl program (busybox-based images): every program of /usr/bin
// but openssl, then the sbin directories (runuser). /bin is /usr/bin on Debian 12, so it stays out.
std::string path_without_openssl(const fs::path& where) {
  fs::create_directories(where);
  for (const auto& entry : fs::directory_iterator("/usr/bin")) {
    if (entry.path().filename() != "openssl") fs::create_symlink(entry.path(), where / entry.path().filename());
  }
  make_readable_by_server(where);
  return where.string() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin";
}

// A copy of the installed directory to damage: installed files must stay intact for other tests.
fs::path damaged_copy(const fs::path& initdb, const fs::path& where) {
  fs::create_directories(where);
  fs::copy(initdb, where, fs::copy_options::recursive);
  make_readable_by_server(where);
  return where;
}

}  // namespace

TEST_CASE("first start restores the latest dump with its exact counts", "[integration][image]") {
  FirstStart start;
  const auto initdb = start.install(dumped_project().dumps());
  CHECK(fs::is_regular_file(initdb / "10-pgseed-restore.sh"));
  CHECK(!fs::is_symlink(initdb / "dev-seeded-latest.dump"));
  CHECK(!fs::is_symlink(initdb / "dev-seeded-latest.metadata.json"));

  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("first-start: running") != std::string::npos);
  CHECK(result.stderr_text.find("pgseed-init: postgres is ready: " + std::to_string(expected_counts().size()) +
                                " tables match") != std::string::npos);
  CHECK(result.stderr_text.find("sha256 ok by openssl") != std::string::npos);
  check_counts(start.connection());
  // Large values were stored with lz4, the faster TOAST compression (the dev news bodies are 2-5 kB).
  CHECK(testing::news_body_compressions(start.connection()) == "lz4");
  // Where the data came from, with one query.
  const auto dump = testing::latest_real_dump(dumped_project().dumps());
  CHECK(testing::query_value(start.connection(), "SELECT dump_file || ' ' || checksum FROM pgseed_provenance") ==
        dump.filename().string() + " " + core::read_metadata(core::metadata_path_for(dump)).checksum);
}

TEST_CASE("first start with a non-default POSTGRES_USER and POSTGRES_DB", "[integration][image]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
  const auto result = start.run(start.install(dumped_project().dumps()));
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("ERROR") == std::string::npos);
  check_counts(start.connection());
  CHECK(testing::query_value(start.connection(), "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'") == "app");
  CHECK(testing::query_value(start.connection(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == "app");
}

TEST_CASE("the init script works sourced as well as executed", "[integration][image]") {
  FirstStart start(Env{{"POSTGRES_DB", "sourced"}});
  const auto initdb = start.install(dumped_project().dumps());
  fs::permissions(initdb / "10-pgseed-restore.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::remove);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("first-start: sourcing") != std::string::npos);
  check_counts(start.connection());
}

TEST_CASE("without openssl the init script verifies with coreutils sha256sum", "[integration][image]") {
  util::TemporaryDirectory tools("pgseed-no-openssl-");
  make_readable_by_server(tools.path());
  const std::string path = path_without_openssl(tools.path() / "bin");
  SECTION("a good dump restores") {
    FirstStart start(Env{{"PATH", path}});
    const auto result = start.run(start.install(dumped_project().dumps()));
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("sha256 ok by sha256sum") != std::string::npos);
    check_counts(start.connection());
  }
  SECTION("a flipped byte is refused") {
    FirstStart start(Env{{"PATH", path}});
    const auto installed = start.install(dumped_project().dumps());
    util::TemporaryDirectory copy_parent("pgseed-damaged-");
    make_readable_by_server(copy_parent.path());
    const auto initdb = damaged_copy(installed, copy_parent.path() / "initdb.d");
    std::string content = testing::read_text(initdb / "dev-seeded-latest.dump");
    content[content.size() / 3] ^= 0x20;
    testing::write_text(initdb / "dev-seeded-latest.dump", content);
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    CHECK(result.exit_code != 0);
    CHECK(result.stderr_text.find("pgseed-init: error: dump ") != std::string::npos);
    CHECK(result.stderr_text.find("failed its checksum") != std::string::npos);
    CHECK(!start.server_running());
  }
}

TEST_CASE("with no dump the database starts empty, unless a dump is required", "[integration][image]") {
  util::TemporaryDirectory no_dumps("pgseed-nodumps-");
  SECTION("empty database and instructions") {
    FirstStart start;
    const auto result = start.run(start.install(no_dumps.path()));
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: no dump at") != std::string::npos);
    CHECK(result.stderr_text.find("generate-dump") != std::string::npos);
    CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
  }
  SECTION("PGSEED_REQUIRE_DUMP=1 makes it an error") {
    FirstStart start(Env{{"PGSEED_REQUIRE_DUMP", "1"}});
    const auto result = start.run(start.install(no_dumps.path()));
    CHECK(result.exit_code != 0);
    CHECK(result.stderr_text.find("PGSEED_REQUIRE_DUMP=1") != std::string::npos);
    CHECK(!start.server_running());
  }
}

TEST_CASE("a damaged install stops the first start with one clear line", "[integration][image]") {
  struct Case {
    const char* name;
    std::function<void(const fs::path& initdb)> damage;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"git lfs pointer",
       [](const fs::path& d) {
         testing::write_text(d / "dev-seeded-latest.dump",
                             "version https://git-lfs.github.com/spec/v1\noid sha256:" + std::string(64, 'a') + "\nsize 10\n");
       },
       "run git lfs pull"},
      {"one byte flipped",
       [](const fs::path& d) {
         std::string content = testing::read_text(d / "dev-seeded-latest.dump");
         content[content.size() / 2] ^= 0x01;
         testing::write_text(d / "dev-seeded-latest.dump", content);
       },
       "failed its checksum"},
      {"metadata missing", [](const fs::path& d) { fs::remove(d / "dev-seeded-latest.metadata.json"); },
       "metadata"},
      {"dump from a newer pg_dump",
       [](const fs::path& d) {
         std::string metadata = testing::read_text(d / "dev-seeded-latest.metadata.json");
         const auto at = metadata.find("\"pgDumpMajor\": ");
         metadata.replace(at, std::string("\"pgDumpMajor\": 15").size(), "\"pgDumpMajor\": 99");
         testing::write_text(d / "dev-seeded-latest.metadata.json", metadata);
       },
       "written by pg_dump 99, newer than this PostgreSQL"},
      {"a row count that does not match",
       [](const fs::path& d) {
         std::string metadata = testing::read_text(d / "dev-seeded-latest.metadata.json");
         const std::string users = "\"public.users\": 11";
         metadata.replace(metadata.find(users), users.size(), "\"public.users\": 12");
         testing::write_text(d / "dev-seeded-latest.metadata.json", metadata);
       },
       "count mismatch: public.users has 11 rows, metadata says 12"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    FirstStart start;
    const auto installed = start.install(dumped_project().dumps());
    util::TemporaryDirectory copy_parent("pgseed-damaged-");
    make_readable_by_server(copy_parent.path());
    const auto initdb = damaged_copy(installed, copy_parent.path() / "initdb.d");
    test.damage(initdb);
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    CHECK(result.exit_code != 0);
    CHECK(result.stderr_text.find("pgseed-init: error: ") != std::string::npos);
    CHECK(result.stderr_text.find(test.message) != std::string::npos);
    CHECK(result.stderr_text.find("init failed") != std::string::npos);
    CHECK(!start.server_running());
  }
}

TEST_CASE("a database started from a dump can be dumped and started from again", "[integration][image]") {
  FirstStart first;
  REQUIRE(first.run(first.install(dumped_project().dumps())).ok());
  const auto tool_output = [](std::vector<std::string> argv, std::map<std::string, std::optional<std::string>> env = {}) {
    util::Command command;
    command.argv = std::move(argv);
    command.env = std::move(env);
    const auto result = util::run_command(command);
    if (!result.ok()) throw std::runtime_error(command.argv[0] + " failed: " + result.stderr_text);
    return result.stdout_text;
  };
  util::TemporaryDirectory copy_parent("pgseed-redump-");
  make_readable_by_server(copy_parent.path());
  const auto initdb = damaged_copy(first.install(dumped_project().dumps()), copy_parent.path() / "initdb.d");
  const fs::path dump = initdb / "dev-seeded-latest.dump";
  const fs::path metadata_path = initdb / "dev-seeded-latest.metadata.json";

  SECTION("with pgseed dump, which leaves pgseed_provenance out") {
    // A developer dumps the container's database after working in it.
    testing::ScratchProject project;
    const auto run = testing::run_pgseed({"dump", "-C", project.root().string(), "--database-url", first.connection().keyword_string()});
    REQUIRE(run.exit_code == 0);
    const auto redump = testing::latest_real_dump(project.dumps());
    CHECK(tool_output({"pg_restore", "--list", redump.string()}).find("pgseed_provenance") == std::string::npos);
    fs::copy_file(redump, dump, fs::copy_options::overwrite_existing);
    fs::copy_file(core::metadata_path_for(redump), metadata_path, fs::copy_options::overwrite_existing);
  }
  SECTION("with a bare pg_dump, which carries pgseed_provenance along") {
    const auto source = first.connection();
    tool_output({"pg_dump", "-Fc", "-f", dump.string(), "-d", source.argument_string()}, source.secret_environment());
    CHECK(tool_output({"pg_restore", "--list", dump.string()}).find("pgseed_provenance") != std::string::npos);
    auto metadata = core::read_metadata(metadata_path);
    metadata.size_bytes = fs::file_size(dump);
    metadata.checksum = util::sha256_file(dump).sha256;
    core::write_metadata(metadata_path, metadata);
  }
  make_readable_by_server(dump);
  make_readable_by_server(metadata_path);

  FirstStart second;
  const auto result = second.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  check_counts(second.connection());
  // One row, about the dump this start restored.
  CHECK(testing::query_value(second.connection(), "SELECT count(*) || ' ' || min(checksum) FROM pgseed_provenance") ==
        "1 " + core::read_metadata(metadata_path).checksum);
}

TEST_CASE("a restore that fails during the first start leaves an empty database, not a half-built one", "[integration][image]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
  const auto installed = start.install(dumped_project().dumps());
  util::TemporaryDirectory copy_parent("pgseed-cutoff-");
  make_readable_by_server(copy_parent.path());
  const auto initdb = damaged_copy(installed, copy_parent.path() / "initdb.d");
  // A dump cut off in its data, with metadata made to match it: every check passes, pg_restore fails.
  const fs::path dump = initdb / "dev-seeded-latest.dump";
  fs::resize_file(dump, fs::file_size(dump) * 6 / 10);
  const fs::path metadata_path = initdb / "dev-seeded-latest.metadata.json";
  auto metadata = core::read_metadata(metadata_path);
  metadata.size_bytes = fs::file_size(dump);
  metadata.checksum = util::sha256_file(dump).sha256;
  core::write_metadata(metadata_path, metadata);
  make_readable_by_server(metadata_path);

  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  CHECK(result.exit_code != 0);
  CHECK(result.stderr_text.find("pgseed-init: error: pg_restore of") != std::string::npos);
  CHECK(result.stderr_text.find("appdb was left empty") != std::string::npos);

  REQUIRE(start.next_start().ok());
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
  CHECK(testing::query_value(start.connection(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == "app");
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgseed%'") == "0");
}
