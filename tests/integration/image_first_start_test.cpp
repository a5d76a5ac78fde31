// The init script in the official postgres image's first start, reproduced by
// tests/image/first-start.sh, with the init directory installed by the real `cmake --install`.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/subprocess.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

// A copy of the installed directory to damage: installed files must stay intact for other tests.
fs::path damaged_copy(const fs::path& initdb, const fs::path& where) {
  fs::create_directories(where);
  fs::copy(initdb, where, fs::copy_options::recursive);
  make_readable_by_server(where);
  return where;
}

// How the entrypoint runs a .sh in the initdb directory: executed when it is executable, sourced in
// its own shell (with its `set -Eeo pipefail` and ERR trap) when it is not.
enum class RunAs { executed, sourced };

// A file of the user's own beside the init script, as teams add them (settings, roles, a restart).
void write_init_file(const fs::path& initdb, const std::string& name, const std::string& text, RunAs run_as) {
  testing::write_text(initdb / name, text);
  ::chmod((initdb / name).c_str(), run_as == RunAs::executed ? 0755 : 0644);
}

// The installed init script, made to be sourced by the entrypoint instead of executed.
void source_init_script(const fs::path& initdb) { ::chmod((initdb / "10-pgseed-restore.sh").c_str(), 0644); }

using Env = std::map<std::string, std::optional<std::string>>;

class FirstStart {
public:
  // WORK_NAME: the directory that holds PGDATA (WORK_NAME/data), for a PGDATA with spaces.
  explicit FirstStart(Env env = {}, std::string work_name = "pg") : env_(std::move(env)), work_name_(std::move(work_name)) {
    make_readable_by_server(work_.path());
    make_readable_by_server(install_.path());
  }
  ~FirstStart() {
    util::Command stop;
    stop.argv = {"bash", harness(), "stop", work().string()};
    stop.on_interrupt = util::Command::OnInterrupt::ignore;
    try {
      util::run_command(stop);
    } catch (...) {
    }
  }

  fs::path install(const fs::path& dump_directory) { return install_initdb(install_.path(), dump_directory); }
  // The installed directory copied, for a test to edit or damage: installed files stay intact.
  fs::path install_copy(const fs::path& dump_directory) {
    make_readable_by_server(copy_.path());
    return damaged_copy(install(dump_directory), copy_.path() / "initdb");
  }

  // `during` runs every few milliseconds while the first start runs.
  util::CommandResult run(const fs::path& initdb_directory, std::function<void()> during = {}) {
    util::Command command;
    command.argv = {"bash", harness(), "start", initdb_directory.string(), work().string()};
    command.env = env_;
    command.env["PGPORT"] = std::to_string(port_);
    for (const char* variable : {"PGHOST", "PGUSER", "PGDATABASE", "PGPASSWORD", "DATABASE_URL"}) {
      command.env.emplace(variable, std::nullopt);
    }
    if (during) {
      command.on_progress = std::move(during);
      command.progress_interval = std::chrono::milliseconds(2);
    }
    return util::run_command(command);
  }

  // What the container's death does to the temporary server: an immediate stop.
  void crash() {
    util::Command command;
    command.argv = {"bash", harness(), "crash", work().string()};
    const auto result = util::run_command(command);
    if (!result.ok()) throw std::runtime_error("first-start.sh crash failed: " + result.stderr_text);
  }
  fs::path work() const { return work_.path() / work_name_; }

  std::string setting(const char* key, const std::string& fallback) const {
    const auto found = env_.find(key);
    return found != env_.end() && found->second ? *found->second : fallback;
  }
  pg::ConnInfo connection() const {
    return connection_to(setting("POSTGRES_DB", setting("POSTGRES_USER", "postgres")));
  }
  pg::ConnInfo connection_to(const std::string& dbname) const {
    return pg::ConnInfo::from_options({{"host", "127.0.0.1"},
                                       {"port", std::to_string(port_)},
                                       {"user", setting("POSTGRES_USER", "postgres")},
                                       {"password", setting("POSTGRES_PASSWORD", "harness-password")},
                                       {"dbname", dbname}});
  }
  bool server_running() const { return fs::exists(work() / "data" / "postmaster.pid"); }

  // The container's next start after a failed init: PGDATA exists, so the image just starts the server.
  util::CommandResult next_start() {
    util::Command command;
    command.argv = {"bash", harness(), "next-start", work().string()};
    command.env["PGPORT"] = std::to_string(port_);
    return util::run_command(command);
  }

private:
  static std::string harness() { return std::string(PGSEED_SOURCE_DIR) + "/tests/image/first-start.sh"; }
  std::map<std::string, std::optional<std::string>> env_;
  std::string work_name_;
  util::TemporaryDirectory work_{"pgseed-image-"};
  util::TemporaryDirectory install_{"pgseed-initdb-"};
  util::TemporaryDirectory copy_{"pgseed-initdb-copy-"};
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

// Sourced, the init script runs in the entrypoint's own shell, which sources the files after it too:
// it must leave none of its functions or variables there. This later file, sourced as well, prints
// the ones it sees (awk, not grep: under the entrypoint's pipefail and errtrace, a grep that finds
// nothing would run its ERR trap).
constexpr const char* later_script_sees_nothing = "later script sees: []";
void add_leftover_probe(const fs::path& initdb) {
  write_init_file(initdb, "20-leftovers.sh",
                  "printf 'later script sees: [%s]\\n' \"$({ declare -F | awk '{print $3}'; compgen -v; } | awk '/^_pgseed/ {printf \"%s \", $0}')\" >&2\n",
                  RunAs::sourced);
}

TEST_CASE("the init script works sourced as well as executed", "[integration][image]") {
  FirstStart start(Env{{"POSTGRES_DB", "sourced"}});
  const auto initdb = start.install(dumped_project().dumps());
  source_init_script(initdb);
  add_leftover_probe(initdb);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("first-start: sourcing") != std::string::npos);
  CHECK(result.stderr_text.find(later_script_sees_nothing) != std::string::npos);
  check_counts(start.connection());
}

// A start killed while it decompressed a zstd dump leaves pgseed-init-<pid>-*.dump in the temporary
// directory, outside the volume. The next first start that shares that directory (a host's /tmp in
// this harness, a restarted container's own) removes the files of processes that are gone, and keeps
// those of a start that still runs, also when that one runs as another user (kill -0 says EPERM).
TEST_CASE("a first start removes a killed start's decompressed dump from TMPDIR, never a running one's", "[integration][image]") {
  util::TemporaryDirectory tmpdir("pgseed-init-tmpdir-");
  ::chmod(tmpdir.path().c_str(), 01777);
  const pid_t gone = [] {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
  }();
  // pgseed-init-<pid>-<host>-<random>, the host as bash's HOSTNAME has it (gethostname) with
  // anything but letters, digits, '.' and '_' made '_'; an older script's name has no host.
  std::string host(256, '\0');
  REQUIRE(::gethostname(host.data(), host.size()) == 0);
  host.resize(std::strlen(host.c_str()));
  for (char& c : host) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_') c = '_';
  }
  const auto named = [&](pid_t pid, const std::string& rest) { return tmpdir.path() / ("pgseed-init-" + std::to_string(pid) + "-" + rest); };
  const fs::path killed = named(gone, host + "-a1b2c3");
  const fs::path killed_by_an_older_script = named(gone, "a1b2c3.dump");
  const fs::path running = named(::getpid(), host + "-d4e5f6");
  // Another container sharing the directory: its pids are not ours to judge.
  const fs::path other_container = named(gone, "f00dcafe1234-b7c8d9");
  const fs::path not_ours = tmpdir.path() / "pgseed-init-backup-of-mine.dump";
  const struct passwd* server_account = ::getuid() == 0 ? ::getpwnam("postgres") : nullptr;
  for (const auto& file : {killed, killed_by_an_older_script, running, other_container, not_ours}) {
    std::ofstream(file) << "the first part of a decompressed dump";
    // Written by the init script, so owned by the server's account: it may remove them from /tmp.
    if (server_account != nullptr) REQUIRE(::chown(file.c_str(), server_account->pw_uid, server_account->pw_gid) == 0);
  }

  FirstStart start(Env{{"TMPDIR", tmpdir.path().string()}});
  const auto result = start.run(start.install(dumped_project().dumps()));
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("decompressed dev-seeded-latest.dump") != std::string::npos);
  check_counts(start.connection());
  CHECK_FALSE(fs::exists(killed));
  CHECK_FALSE(fs::exists(killed_by_an_older_script));
  CHECK(fs::exists(running));
  CHECK(fs::exists(other_container));
  CHECK(fs::exists(not_ours));
  // and its own decompressed copy is gone too
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(tmpdir.path())) left.insert(entry.path().filename().string());
  CHECK(left == std::set<std::string>{running.filename().string(), other_container.filename().string(), not_ours.filename().string()});
}

// The Alpine images have busybox's userland, not coreutils, and no openssl command: the script must
// restore a zstd dump there, executed and sourced. (busybox's mktemp takes no suffix after the
// random part; its tar, stat, od and date differ in other ways.) A directory of busybox applets
// shadows coreutils for the whole start, and a failing openssl takes the sha256sum path. getconf
// stays glibc's, so this is busybox's tools, not musl.
TEST_CASE("a first start restores on busybox's userland as the Alpine images have it, sourced or executed", "[integration][image]") {
  const std::string busybox = util::find_in_path("busybox").string();
  REQUIRE_FALSE(busybox.empty());  // scripts/bootstrap.sh installs it
  util::TemporaryDirectory tools("pgseed-busybox-");
  make_readable_by_server(tools.path());
  for (const char* applet : {"basename", "cat", "chmod", "cp", "cut", "date", "dirname", "head", "ls", "mkdir", "mktemp", "mv",
                             "nproc", "od", "rm", "sed", "sha256sum", "sleep", "sort", "stat", "sync", "tail", "tar", "touch", "tr",
                             "wc"}) {
    fs::create_symlink(busybox, tools.path() / applet);
  }
  testing::write_text(tools.path() / "openssl", "#!/bin/sh\necho 'openssl: not in this image' >&2\nexit 127\n");
  ::chmod((tools.path() / "openssl").c_str(), 0755);
  const std::string path = tools.path().string() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const bool sourced : {false, true}) {
    INFO((sourced ? "sourced" : "executed"));
    util::TemporaryDirectory tmpdir("pgseed-busybox-tmp-");
    ::chmod(tmpdir.path().c_str(), 01777);
    FirstStart start(Env{{"PATH", path}, {"TMPDIR", tmpdir.path().string()}, {"POSTGRES_DB", "appdb"}});
    const auto initdb = start.install_copy(dumped_project().dumps());
    if (sourced) source_init_script(initdb);
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("decompressed dev-seeded-latest.dump") != std::string::npos);
    CHECK(result.stderr_text.find("tables match dev-seeded-latest.dump") != std::string::npos);
    check_counts(start.connection());
    CHECK(fs::is_empty(tmpdir.path()));
  }
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
    CHECK(tool_output({"bash", "-c", "zstd -dcq \"$1\" | pg_restore --list", "list", redump.string()}).find("pgseed_provenance") ==
          std::string::npos);
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
  // A dump cut off in its data, with metadata made to match it: every check passes, decompression fails.
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
  CHECK(result.stderr_text.find("pgseed-init: error: cannot decompress") != std::string::npos);
  CHECK(result.stderr_text.find("appdb was left empty") != std::string::npos);

  REQUIRE(start.next_start().ok());
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
  CHECK(testing::query_value(start.connection(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == "app");
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgseed%'") == "0");
}

// The metadata is parsed as JSON by the temporary server and checked both ways against the restored
// tables. Every broken file stops the start with one line that says what is wrong, and the next start
// finds POSTGRES_DB there and empty.
TEST_CASE("broken metadata is refused with one line, and POSTGRES_DB stays empty", "[integration][image]") {
  const auto edit_text = [](std::function<void(std::string&)> change) {
    return [change](const fs::path& file) {
      std::string text = testing::read_text(file);
      change(text);
      testing::write_text(file, text);
    };
  };
  const auto replace = [](std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("metadata has no " + from);
    text.replace(at, from.size(), to);
  };
  const auto edit_counts = [](std::function<void(core::RecordCounts&)> change) {
    return [change](const fs::path& file) {
      auto metadata = core::read_metadata(file);
      change(metadata.record_counts);
      core::write_metadata(file, metadata);
    };
  };
  struct Case {
    const char* name;
    std::function<void(const fs::path& metadata)> damage;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"truncated JSON", edit_text([](std::string& t) { t.erase(t.rfind('}')); }), "is not valid JSON"},
      {"garbage prepended", edit_text([](std::string& t) { t.insert(0, "garbage"); }), "is not valid JSON"},
      {"one count missing", edit_counts([](core::RecordCounts& c) { c.erase("public.orders"); }),
       "table public.orders is in the dump but not in the metadata"},
      {"an extra table", edit_counts([](core::RecordCounts& c) { c["public.ghosts"] = 3; }),
       "table public.ghosts is in the metadata but not in the dump"},
      {"a wrong count", edit_counts([](core::RecordCounts& c) { c["public.users"] += 1; }),
       "count mismatch: public.users has 11 rows, metadata says 12"},
      {"checksum not hex",
       edit_text([&](std::string& t) {
         const auto at = t.find("\"checksum\": \"") + std::string("\"checksum\": \"").size();
         t.replace(at, 64, std::string(64, 'z'));
       }),
       "field checksum is not 64 lowercase hex digits"},
      {"sizeBytes a string",
       edit_text([&](std::string& t) {
         const auto at = t.find("\"sizeBytes\": ") + std::string("\"sizeBytes\": ").size();
         const auto end = t.find_first_not_of("0123456789", at);
         t.insert(end, "\"");
         t.insert(at, "\"");
       }),
       "field sizeBytes must be a non-negative integer"},
      {"pgDumpMajor newer than the server",
       edit_text([&](std::string& t) { replace(t, "\"pgDumpMajor\": 15", "\"pgDumpMajor\": 99"); }),
       "written by pg_dump 99, newer than this PostgreSQL 15"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
    const auto installed = start.install(dumped_project().dumps());
    util::TemporaryDirectory copy_parent("pgseed-badmeta-");
    make_readable_by_server(copy_parent.path());
    const auto initdb = damaged_copy(installed, copy_parent.path() / "initdb.d");
    test.damage(initdb / "dev-seeded-latest.metadata.json");
    make_readable_by_server(initdb / "dev-seeded-latest.metadata.json");
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    CHECK(result.exit_code != 0);
    std::size_t error_lines = 0;
    std::string error_line;
    std::istringstream lines(result.stderr_text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("pgseed-init: error: ", 0) == 0) {
        ++error_lines;
        error_line = line;
      }
    }
    CHECK(error_lines == 1);
    CHECK(error_line.find(test.message) != std::string::npos);
    CHECK(result.stderr_text.find("ERROR:") == std::string::npos);
    CHECK(!start.server_running());

    REQUIRE(start.next_start().ok());
    CHECK(testing::query_value(start.connection_to("template1"), "SELECT count(*) FROM pg_database WHERE datname = 'appdb'") == "1");
    pg::Connection connection(start.connection());
    CHECK(core::count_records(connection).empty());
    CHECK(testing::query_value(start.connection_to("template1"), "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgseed%'") == "0");
  }
}

// Alpine images have busybox `date`, which prints %N as it is: the timings must not break the start.
TEST_CASE("with a date that has no %N the init script still starts cleanly", "[integration][image]") {
  util::TemporaryDirectory tools("pgseed-busybox-date-");
  make_readable_by_server(tools.path());
  const fs::path fake_date = tools.path() / "date";
  testing::write_text(fake_date, "#!/bin/bash\n# busybox: no %N, printed as it is\nargs=(\"${@//%N/%%N}\")\nexec /usr/bin/date \"${args[@]}\"\n");
  ::chmod(fake_date.c_str(), 0755);
  FirstStart start(Env{{"PATH", tools.path().string() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}});
  const auto result = start.run(start.install(dumped_project().dumps()));
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("division by 0") == std::string::npos);
  CHECK(result.stderr_text.find("syntax error") == std::string::npos);
  CHECK(result.stderr_text.find("pgseed-init: postgres is ready: ") != std::string::npos);
  check_counts(start.connection());
}

namespace {

// ---- processes, for killing the init script the way a dying container does ----

std::vector<std::string> process_arguments(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> arguments;
  std::string argument;
  while (std::getline(in, argument, '\0')) arguments.push_back(argument);
  return arguments;
}

std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> parent_of;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    parent_of[std::stoi(name)] = parent;
  }
  return parent_of;
}

std::optional<pid_t> find_process(const std::function<bool(const std::vector<std::string>&)>& matches) {
  for (const auto& [pid, parent] : parents()) {
    (void)parent;
    if (matches(process_arguments(pid))) return pid;
  }
  return std::nullopt;
}

// SIGKILL for a process and everything it started. Stopped first, so that nothing forks a child
// that escapes (pg_restore -j starts workers), then all killed at once.
void kill_tree(pid_t root) {
  std::set<pid_t> tree{root};
  ::kill(root, SIGSTOP);
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, parent] : parents()) {
      if (tree.count(parent) && !tree.count(pid)) {
        ::kill(pid, SIGSTOP);
        tree.insert(pid);
        grew = true;
      }
    }
  }
  for (pid_t pid : tree) ::kill(pid, SIGKILL);
}

bool has_argument(const std::vector<std::string>& arguments, const std::string& wanted) {
  return std::find(arguments.begin(), arguments.end(), wanted) != arguments.end();
}

// The install, plus a file just before the init script and one just after it, which mark its start and
// its end (the entrypoint runs them in that order).
fs::path with_markers(const fs::path& installed, const fs::path& where, bool sourced) {
  const auto initdb = damaged_copy(installed, where);
  write_init_file(initdb, "09-mark-start.sh", "#!/bin/sh\n: > \"$PGSEED_TEST_MARKER.start\"\n", RunAs::executed);
  write_init_file(initdb, "11-mark-end.sh", "#!/bin/sh\n: > \"$PGSEED_TEST_MARKER.end\"\n", RunAs::executed);
  if (sourced) source_init_script(initdb);
  return initdb;
}

enum class Outcome { empty, complete, partial, missing };

// What the next start of the volume finds in POSTGRES_DB, and which helper databases were left.
std::pair<Outcome, std::vector<std::string>> inspect_next_start(FirstStart& start, const std::string& database,
                                                                const core::RecordCounts& expected) {
  const auto leftovers = [&] {
    pg::Connection admin(start.connection_to("template1"));
    std::vector<std::string> names;
    // Each with its comment, which says what it is.
    for (const auto& row : admin.query("SELECT datname || ': ' || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
                                       "WHERE datname NOT IN ('postgres', 'template0', 'template1', " +
                                       admin.quote_literal(database) + ") ORDER BY 1")) {
      names.push_back(*row[0]);
    }
    const bool exists = admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(database)) == "1";
    return std::make_pair(exists, names);
  }();
  if (!leftovers.first) return {Outcome::missing, leftovers.second};
  pg::Connection connection(start.connection_to(database));
  const auto counts = core::count_records(connection);
  if (counts.empty()) return {Outcome::empty, leftovers.second};
  const bool provenance = connection.query_value("SELECT count(*) FROM pg_tables WHERE tablename = 'pgseed_provenance'") == "1";
  return {counts == expected && provenance ? Outcome::complete : Outcome::partial, leftovers.second};
}

}  // namespace

// A container killed during its first start (OOM, docker kill, a host reboot) is started again on
// the same volume, and the image skips init because the data directory exists. Whatever the init
// script had done is what the user gets: POSTGRES_DB must be there, and either empty or complete.
TEST_CASE("a kill -9 at any point of the init script leaves POSTGRES_DB empty or complete", "[integration][image][kill]") {
  const char* points_setting = std::getenv("PGSEED_INIT_KILL_POINTS");
  const int points = points_setting ? std::max(1, std::atoi(points_setting)) : 10;
  const char* seed_setting = std::getenv("PGSEED_INIT_KILL_SEED");
  const std::uint64_t seed = seed_setting ? std::stoull(seed_setting) : std::random_device{}();
  std::cerr << "init script kill test: " << points << " points, seed " << seed << " (PGSEED_INIT_KILL_SEED=" << seed
            << " repeats them)\n";
  INFO("PGSEED_INIT_KILL_SEED=" << seed);
  std::mt19937_64 random(seed);

  util::TemporaryDirectory install("pgseed-kill-install-");
  make_readable_by_server(install.path());
  const auto installed = install_initdb(install.path() / "prefix", dumped_project().dumps());
  const auto executed = with_markers(installed, install.path() / "executed", false);
  const auto sourced = with_markers(installed, install.path() / "sourced", true);
  const fs::path markers = install.path() / "markers";
  fs::create_directories(markers);
  ::chmod(markers.c_str(), 01777);
  const auto expected = expected_counts();
  const std::string database = "appdb";
  const auto env_for = [&](const fs::path& marker) {
    return Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", database}, {"POSTGRES_PASSWORD", "app-secret"},
               {"PGSEED_TEST_MARKER", marker.string()}};
  };
  const auto marked = [](const fs::path& marker, const char* what) { return fs::exists(marker.string() + what); };
  using Clock = std::chrono::steady_clock;

  // How long the script runs on this machine now, from its start marker to its end marker.
  long long script_ms = 0;
  {
    const fs::path marker = markers / "calibration";
    FirstStart start(env_for(marker));
    std::optional<Clock::time_point> began, ended;
    const auto result = start.run(executed, [&] {
      if (!began && marked(marker, ".start")) began = Clock::now();
      if (!ended && marked(marker, ".end")) ended = Clock::now();
    });
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    REQUIRE(began);
    REQUIRE(ended);
    script_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*ended - *began).count();
  }
  std::cerr << "init script kill test: the script runs for " << script_ms << " ms\n";

  // Until `points` kills have landed inside the script; a delay past its end is a run that completes.
  std::map<Outcome, int> outcomes;
  int kills = 0;
  for (int attempt = 0; kills < points && attempt < 2 * points; ++attempt) {
    const bool source = attempt % 2 == 1;
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, script_ms)(random));
    const fs::path marker = markers / std::to_string(attempt);
    const fs::path initdb = source ? sourced : executed;
    FirstStart start(env_for(marker));
    // Executed, the script is its own process; sourced, it runs inside the entrypoint's shell.
    const std::string script = (initdb / "10-pgseed-restore.sh").string();
    const auto is_target = [&](const std::vector<std::string>& args) {
      return source ? has_argument(args, "inner") && has_argument(args, initdb.string()) : has_argument(args, script);
    };
    std::optional<Clock::time_point> began;
    bool killed = false;
    std::string killed_during;
    const auto result = start.run(initdb, [&] {
      if (killed) return;
      if (!began && marked(marker, ".start")) began = Clock::now();
      if (!began || Clock::now() - *began < delay || marked(marker, ".end")) return;
      const auto target = find_process(is_target);
      if (!target) return;  // executed: not started yet, or finished
      // What it was doing, for the report: a child's program, or the script itself.
      for (const auto& [pid, parent] : parents()) {
        if (parent == *target) {
          const auto args = process_arguments(pid);
          if (!args.empty()) killed_during = fs::path(args[0]).filename().string();
        }
      }
      kill_tree(*target);
      killed = true;
    });
    start.crash();
    const auto next = start.next_start();
    const std::string during = killed ? "killed during " + (killed_during.empty() ? std::string("bash") : killed_during)
                                      : std::string("not killed, the script had finished");
    INFO("attempt " << attempt << ": kill after " << delay.count() << " ms, " << (source ? "sourced" : "executed") << ", "
                    << during);
    INFO(result.stderr_text);
    REQUIRE(next.ok());
    const auto [outcome, leftovers] = inspect_next_start(start, database, expected);
    std::string leftover_names;
    for (const auto& name : leftovers) leftover_names += " " + name.substr(0, name.find(':'));
    std::cerr << "  " << delay.count() << " ms, " << (source ? "sourced" : "executed") << ", " << during << " -> "
              << (outcome == Outcome::empty ? "empty" : outcome == Outcome::complete ? "complete"
                                                        : outcome == Outcome::partial ? "PARTIAL" : "MISSING")
              << (leftovers.empty() ? "" : ", left:" + leftover_names) << "\n";
    INFO("left:" << leftover_names);
    CHECK((outcome == Outcome::empty || outcome == Outcome::complete));
    if (!killed) CHECK(outcome == Outcome::complete);
    // Anything else left behind is one of the script's helper databases, recognisable by its name. A
    // kill between CREATE DATABASE and its COMMENT (they cannot share a transaction) leaves the
    // scratch database with its name alone.
    static const std::regex helper("appdb_pgseed_init_[0-9a-f]{16}: |"
                                   "appdb_pgseed_init_[0-9a-f]{16}: pgseed-init: scratch restore for appdb, .*incomplete, drop it|"
                                   "appdb_pgseed_old_[0-9a-f]{16}: pgseed-init: the empty database the image created, .*drop it");
    for (const auto& name : leftovers) CHECK(std::regex_match(name, helper));
    ++outcomes[outcome];
    if (killed) ++kills;
  }
  CHECK(kills == points);
  std::cerr << "init script kill test: " << kills << " kills; " << outcomes[Outcome::empty] << " empty, "
            << outcomes[Outcome::complete] << " complete\n";
}

// docker-compose.yml's entrypoint wrapper, taken from the file as written and run without Docker: a
// fresh volume whose init directory has no init script (Docker creates a missing bind source empty
// with the short syntax) must not start, silently, an empty database.
TEST_CASE("docker-compose.yml refuses a fresh volume without the init script", "[integration][image][compose]") {
  const std::string compose = testing::read_text(fs::path(PGSEED_SOURCE_DIR) / "docker-compose.yml");
  CHECK(compose.find("\"127.0.0.1:54329:5432\"") != std::string::npos);
  CHECK(compose.find("create_host_path: false") != std::string::npos);
  CHECK(compose.find("PGSEED_REQUIRE_DUMP: \"1\"") != std::string::npos);
  // The block scalar of `entrypoint: [bash, -c, |...]`, unindented, with compose's $$ unescaped.
  const std::string opening = "      - |\n";
  const auto begin = compose.find(opening);
  REQUIRE(begin != std::string::npos);
  std::string script;
  std::istringstream lines(compose.substr(begin + opening.size()));
  for (std::string line; std::getline(lines, line) && line.rfind("        ", 0) == 0;) script += line.substr(8) + "\n";
  for (std::size_t at; (at = script.find("$$")) != std::string::npos;) script.erase(at, 1);
  REQUIRE(script.find("exec docker-entrypoint.sh") != std::string::npos);

  util::TemporaryDirectory scratch("pgseed-compose-");
  const fs::path initdb = scratch.path() / "initdb.d", data = scratch.path() / "data", bin = scratch.path() / "bin";
  for (const auto& directory : {initdb, data, bin}) fs::create_directories(directory);
  testing::write_text(bin / "docker-entrypoint.sh", "#!/bin/sh\necho \"image entrypoint: $*\"\n");
  ::chmod((bin / "docker-entrypoint.sh").c_str(), 0755);
  for (std::size_t at; (at = script.find("/docker-entrypoint-initdb.d")) != std::string::npos;) {
    script.replace(at, std::string("/docker-entrypoint-initdb.d").size(), initdb.string());
  }
  const auto run = [&] {
    util::Command command;
    command.argv = {"bash", "-c", script, "pgseed-entrypoint", "postgres"};
    command.env["PGDATA"] = data.string();
    command.env["PATH"] = bin.string() + ":/usr/bin:/bin";
    return util::run_command(command);
  };
  SECTION("fresh volume, empty init directory: refused") {
    const auto result = run();
    CHECK(result.exit_code == 1);
    CHECK(result.stderr_text.find("no init script") != std::string::npos);
    CHECK(result.stdout_text.find("image entrypoint") == std::string::npos);
  }
  SECTION("fresh volume, init script staged: the image's entrypoint runs") {
    testing::write_text(initdb / "10-pgseed-restore.sh", "");
    const auto result = run();
    CHECK(result.ok());
    CHECK(result.stdout_text == "image entrypoint: postgres\n");
  }
  SECTION("initialised volume: no init, so no check") {
    testing::write_text(data / "PG_VERSION", "15\n");
    const auto result = run();
    CHECK(result.ok());
    CHECK(result.stdout_text == "image entrypoint: postgres\n");
  }
}

// ---- The physical snapshot (dump --physical): the init script installs the data directory instead
// of restoring, when the image can start on it.
namespace {

const testing::ScratchProject& physical_project() {
  static testing::ScratchProject project;
  static const bool dumped = [] {
    const auto run = testing::run_pgseed({"dump", "--physical", "-C", project.root().string()});
    if (run.exit_code != 0) throw std::runtime_error("dump --physical for the image tests failed: " + run.err);
    return true;
  }();
  (void)dumped;
  return project;
}

core::DumpMetadata physical_metadata() {
  return core::read_metadata(core::metadata_path_for(testing::latest_real_dump(physical_project().dumps())));
}

void check_physical_counts(const pg::ConnInfo& database) {
  pg::Connection connection(database);
  const auto expected = physical_metadata().record_counts;
  REQUIRE(!expected.empty());
  CHECK(core::count_records(connection) == expected);
}

// How often the temporary server was shut down, from its log: once by the harness after init, and
// once more when the init script swapped the data files.
int temporary_server_stops(const fs::path& work) {
  std::ifstream log(work / "temp-server.log");
  int stops = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("received fast shutdown request") != std::string::npos) ++stops;
  }
  return stops;
}

}  // namespace

TEST_CASE("a physical first start has the exact counts for the default and a custom user, sourced or executed", "[integration][image][physical]") {
  struct Case {
    const char* name;
    Env env;
    bool sourced;
  };
  const std::vector<Case> cases = {
      {"default user, executed", {}, false},
      {"app/appdb with a password, executed", {{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}}, false},
      {"app/appdb with a password, sourced", {{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}}, true},
  };
  const auto metadata = physical_metadata();
  REQUIRE(metadata.physical);
  for (const auto& c : cases) {
    INFO(c.name);
    FirstStart start(c.env);
    const auto initdb = start.install_copy(physical_project().dumps());
    REQUIRE(fs::is_regular_file(initdb / "dev-seeded-latest.pgdata.tar.zst"));
    if (c.sourced) {
      source_init_script(initdb);
      add_leftover_probe(initdb);
    }
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find(c.sourced ? "first-start: sourcing" : "first-start: running") != std::string::npos);
    if (c.sourced) CHECK(result.stderr_text.find(later_script_sees_nothing) != std::string::npos);
    CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
    CHECK(result.stderr_text.find("tables match dev-seeded-latest.dump") != std::string::npos);
    CHECK(result.stderr_text.find("from its physical snapshot") != std::string::npos);
    CHECK(result.stderr_text.find("ERROR") == std::string::npos);
    CHECK(temporary_server_stops(start.work()) == 2);
    // Over TCP with POSTGRES_PASSWORD (the image's scram-sha-256 host line): the exact counts.
    check_physical_counts(start.connection());
    const std::string user = start.setting("POSTGRES_USER", "postgres");
    const std::string database = start.setting("POSTGRES_DB", user);
    CHECK(testing::query_value(start.connection(), "SELECT rolname FROM pg_roles WHERE oid = 10") == user);
    CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_roles WHERE rolname !~ '^pg_'") == "1");
    CHECK(testing::query_value(start.connection(), "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'") == user);
    CHECK(testing::query_value(start.connection(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()") == user);
    CHECK(testing::query_value(start.connection(), "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database") ==
          (database == "postgres" ? std::string("postgres,template0,template1") : database + ",postgres,template0,template1"));
    CHECK(testing::query_value(start.connection(), "SELECT restored_by FROM pgseed_provenance") ==
          "pgseed-init (physical snapshot " + metadata.physical->file + ")");
    // The password is stored as the image stores it (the harness's TCP comes from 127.0.0.1, which
    // initdb's own lines trust, so a wrong password would not be refused here).
    CHECK(testing::query_value(start.connection(), "SELECT left(rolpassword, 14) FROM pg_authid WHERE oid = 10") == "SCRAM-SHA-256$");
    // The image's configuration files are the ones in place, and nothing of the swap is left.
    CHECK(testing::read_text(start.work() / "data" / "pg_hba.conf").find("host all all all scram-sha-256") != std::string::npos);
    CHECK(testing::read_text(start.work() / "data" / "postgresql.conf").find("pgseed-init") == std::string::npos);
    for (const auto& entry : fs::directory_iterator(start.work() / "data")) {
      CHECK(entry.path().filename().string().rfind(".pgseed-", 0) == std::string::npos);
    }
  }
}

TEST_CASE("a physical snapshot this image cannot start on falls back to the logical dump with one line", "[integration][image][physical]") {
  struct Mismatch {
    const char* key;
    nlohmann::json value;
    std::string line;
  };
  const std::vector<Mismatch> mismatches = {
      {"architecture", "aarch64", "architecture (uname -m) differs: snapshot aarch64, this server "},
      {"glibc", "2.99", "glibc version differs: snapshot 2.99, this server "},
      {"catalogVersion", 199912311, "catalog version differs: snapshot 199912311, this server "},
  };
  for (const auto& mismatch : mismatches) {
    INFO(mismatch.key);
    FirstStart start;
    const auto initdb = start.install_copy(physical_project().dumps());
    const fs::path metadata_file = initdb / "dev-seeded-latest.metadata.json";
    auto document = nlohmann::json::parse(testing::read_text(metadata_file));
    document["physical"][mismatch.key] = mismatch.value;
    testing::write_text(metadata_file, document.dump(2));
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: " + mismatch.line) != std::string::npos);
    CHECK(result.stderr_text.find("installed the physical snapshot") == std::string::npos);
    CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
    CHECK(temporary_server_stops(start.work()) == 1);
    check_physical_counts(start.connection());
    CHECK(testing::query_value(start.connection(), "SELECT restored_by FROM pgseed_provenance") == "pgseed-init");
  }
}

// An index in an ICU collation is ordered by that ICU version's rules: a server whose ICU gives
// another collator version could not use those files correctly. The snapshot records the version of
// each collation the data uses, and the init script compares it with this server's.
TEST_CASE("a physical snapshot whose ICU collation has another version falls back to the logical dump", "[integration][image][physical]") {
  testing::ScratchProject project;
  project.write("migrations/0007_icu_names.sql",
                "CREATE COLLATION german_icu (provider = icu, locale = 'de-DE');\n"
                "CREATE TABLE public.nicknames (name text COLLATE german_icu NOT NULL);\n"
                "CREATE INDEX nicknames_name ON public.nicknames (name);\n"
                "INSERT INTO public.nicknames VALUES ('Äpfel'), ('Zebra'), ('apfel');\n");
  const auto dumped = testing::run_pgseed({"dump", "--physical", "-C", project.root().string()});
  INFO(dumped.err);
  REQUIRE(dumped.exit_code == 0);
  const auto metadata = core::read_metadata(core::metadata_path_for(testing::latest_real_dump(project.dumps())));
  REQUIRE(metadata.physical);
  const auto found = metadata.physical->collations.find("public.german_icu");
  REQUIRE(found != metadata.physical->collations.end());
  const auto& recorded = found->second;
  CHECK(recorded.provider == "icu");
  CHECK(recorded.locale == "de-DE");
  CHECK(std::regex_match(recorded.version, std::regex("[0-9]+(\\.[0-9]+)+")));  // ICU's collator version

  SECTION("the same version: the physical snapshot is used") {
    FirstStart start;
    const auto result = start.run(start.install(project.dumps()));
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("installed the physical snapshot") != std::string::npos);
    CHECK(testing::query_value(start.connection(), "SELECT string_agg(name, ',' ORDER BY name) FROM nicknames") == "apfel,Äpfel,Zebra");
  }
  SECTION("another version: one line, and the logical dump") {
    FirstStart start;
    const auto initdb = start.install_copy(project.dumps());
    const fs::path metadata_file = initdb / "dev-seeded-latest.metadata.json";
    auto document = nlohmann::json::parse(testing::read_text(metadata_file));
    document["physical"]["collations"]["public.german_icu"]["version"] = "1.0";
    testing::write_text(metadata_file, document.dump(2));
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: version of collation public.german_icu differs: snapshot 1.0, this server " +
                                  recorded.version) != std::string::npos);
    CHECK(result.stderr_text.find("installed the physical snapshot") == std::string::npos);
    CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM nicknames") == "3");
  }
}

TEST_CASE("a corrupted physical archive is refused before the temporary server is stopped", "[integration][image][physical]") {
  struct Damage {
    const char* name;
    std::function<void(const fs::path&)> apply;
    const char* line;
  };
  const std::vector<Damage> damages = {
      {"a flipped byte",
       [](const fs::path& archive) {
         std::fstream file(archive, std::ios::in | std::ios::out | std::ios::binary);
         file.seekg(4096);
         char byte = 0;
         file.read(&byte, 1);
         byte = static_cast<char>(byte ^ 0x5a);
         file.seekp(4096);
         file.write(&byte, 1);
       },
       "failed its checksum"},
      {"a truncated file", [](const fs::path& archive) { fs::resize_file(archive, fs::file_size(archive) / 2); }, "bytes, metadata says"},
      {"a Git LFS pointer",
       [](const fs::path& archive) {
         testing::write_text(archive, "version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n");
       },
       "is a Git LFS pointer"},
  };
  for (const auto& damage : damages) {
    INFO(damage.name);
    FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
    const auto initdb = start.install_copy(physical_project().dumps());
    damage.apply(initdb / "dev-seeded-latest.pgdata.tar.zst");
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: ") != std::string::npos);
    CHECK(result.stderr_text.find(damage.line) != std::string::npos);
    CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
    // Never stopped by the script: only the harness's own stop after init.
    CHECK(temporary_server_stops(start.work()) == 1);
    check_physical_counts(start.connection());
  }
}

// The unpack runs in a background shell. Sourced, the script runs inside the entrypoint's shell, with
// its `set -Eeo pipefail` and an ERR trap that stops the temporary server: a failure in there must be
// one line and the logical dump, never that trap. A tar that is not GNU tar takes no -b.
TEST_CASE("a physical unpack that fails falls back with one line, sourced or executed, and a tar without -b unpacks", "[integration][image][physical]") {
  util::TemporaryDirectory tools("pgseed-tar-");
  make_readable_by_server(tools.path());
  const auto path_with = [&](const std::string& name, const std::string& program, const std::string& script) {
    const fs::path directory = tools.path() / name;
    fs::create_directories(directory);
    testing::write_text(directory / program, script);
    ::chmod((directory / program).c_str(), 0755);
    make_readable_by_server(directory);
    return directory.string() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  };
  // GNU tar that stops part way with a full disk.
  const std::string full_disk = path_with("full", "tar", "#!/bin/sh\n"
                                                  "case \"$1\" in --version) echo 'tar (GNU tar) 1.34'; exit 0 ;; esac\n"
                                                  "head -c 3000000 | /usr/bin/tar \"$@\" 2>/dev/null\n"
                                                  "echo 'tar: base/1/1259: Cannot write: No space left on device' >&2\nexit 2\n");
  // busybox tar: no --version, no -b.
  const std::string busybox = path_with("busybox", "tar", "#!/bin/sh\n"
                                                   "for a in \"$@\"; do case \"$a\" in --version|-b) echo \"tar: unrecognized option '$a'\" >&2; exit 1 ;; esac; done\n"
                                                   "exec /usr/bin/tar \"$@\"\n");
  // musl (Alpine): getconf knows no GNU_LIBC_VERSION.
  const std::string musl = path_with("musl", "getconf", "#!/bin/sh\necho \"getconf: $1: invalid variable\" >&2\nexit 1\n");
  struct Case {
    const char* name;
    std::string path;
    bool sourced;
    bool flip_byte;
    const char* line;  // empty: the physical snapshot is installed
  };
  const std::vector<Case> cases = {
      {"a full disk, executed", full_disk, false, false, "physical snapshot not used: cannot unpack"},
      {"a full disk, sourced", full_disk, true, false, "physical snapshot not used: cannot unpack"},
      {"a flipped byte, sourced", "", true, true, "failed its checksum"},
      {"busybox tar, sourced", busybox, true, false, ""},
      {"musl's getconf, sourced", musl, true, false, "glibc version differs: snapshot "},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Env env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}};
    if (!c.path.empty()) env["PATH"] = c.path;
    FirstStart start(env);
    const auto initdb = start.install_copy(physical_project().dumps());
    if (c.sourced) source_init_script(initdb);
    if (c.flip_byte) {
      std::fstream file(initdb / "dev-seeded-latest.pgdata.tar.zst", std::ios::in | std::ios::out | std::ios::binary);
      file.seekg(4096);
      const char byte = static_cast<char>(file.get() ^ 0x5a);
      file.seekp(4096);
      file.put(byte);
    }
    const auto result = start.run(initdb);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("init failed") == std::string::npos);
    CHECK(result.stderr_text.find(c.sourced ? "first-start: sourcing" : "first-start: running") != std::string::npos);
    if (*c.line) {
      CHECK(result.stderr_text.find(c.line) != std::string::npos);
      CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
      CHECK(temporary_server_stops(start.work()) == 1);
    } else {
      CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
    }
    check_physical_counts(start.connection());
    for (const auto& entry : fs::directory_iterator(start.work() / "data")) {
      CHECK(entry.path().filename().string().rfind(".pgseed-", 0) == std::string::npos);
    }
  }
}

// An earlier init script (00-*.sh) that puts a file in PGDATA and includes it from postgresql.conf,
// as a user does for TLS certificates or a conf.d directory: the physical start must keep it, and
// the server it restarts must read the include relative to PGDATA, or it does not start at all and
// the volume is left refusing to start.
TEST_CASE("files an earlier init script put in PGDATA stay through a physical first start", "[integration][image][physical]") {
  FirstStart start;
  const auto initdb = start.install_copy(physical_project().dumps());
  write_init_file(initdb, "00-settings.sh",
                  "#!/bin/sh\nset -e\nmkdir -p \"$PGDATA/conf.d\"\n"
                  "printf \"work_mem = '7MB'\\n\" > \"$PGDATA/conf.d/extra.conf\"\n"
                  "printf \"include_dir = 'conf.d'\\n\" >> \"$PGDATA/postgresql.conf\"\n",
                  RunAs::executed);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
  CHECK(fs::is_regular_file(start.work() / "data" / "conf.d" / "extra.conf"));
  CHECK(testing::query_value(start.connection(), "SHOW work_mem") == "7MB");
  check_physical_counts(start.connection());
}

// The physical start sets POSTGRES_PASSWORD with ALTER ROLE, through the server: a log_statement or
// log_min_duration_statement that the container's command or an earlier init script turned on must
// not write it into the server's log (docker logs).
TEST_CASE("a physical first start never writes POSTGRES_PASSWORD into the server log", "[integration][image][physical]") {
  const std::string password = "Zq7marker-'single' \"double\" back\\slash $HOME";
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", password}});
  const auto initdb = start.install_copy(physical_project().dumps());
  write_init_file(initdb, "00-log-everything.sh",
                  "#!/bin/sh\nprintf \"log_statement = 'all'\\nlog_min_duration_statement = 0\\n\" >> \"$PGDATA/postgresql.conf\"\n",
                  RunAs::executed);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
  check_physical_counts(start.connection());
  CHECK(result.stderr_text.find("Zq7marker") == std::string::npos);
  const std::string log = testing::read_text(start.work() / "temp-server.log");
  // The restarted server did log statements (so this test can fail), but not the password.
  CHECK(log.find("statement: ") != std::string::npos);
  CHECK(log.find("CREATE ROLE") != std::string::npos);
  CHECK(log.find("Zq7marker") == std::string::npos);
}

// The image's initdb reads POSTGRES_PASSWORD through --pwfile, which takes its first line only: a
// physical start must set that same password, or the same container's password would depend on
// which path its first start took. (md5, whose verifier has no salt, lets the test compare.)
TEST_CASE("a physical first start sets the first line of POSTGRES_PASSWORD as the image's initdb does", "[integration][image][physical]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "first-line\r\nsecond-line\n"}});
  const auto initdb = start.install_copy(physical_project().dumps());
  write_init_file(initdb, "00-md5.sh", "#!/bin/sh\nprintf \"password_encryption = md5\\n\" >> \"$PGDATA/postgresql.conf\"\n", RunAs::executed);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
  CHECK(testing::query_value(start.connection(), "SELECT rolpassword = 'md5' || md5('first-line' || rolname) FROM pg_authid WHERE oid = 10") == "t");
}

// Roles and databases made by an earlier init script live in the image's cluster, which a physical
// snapshot replaces whole: they would be gone, silently, and a later script that uses them would
// fail. The logical restore keeps them, so the script falls back to it, with one line.
TEST_CASE("roles and databases an earlier init script made turn a physical first start logical", "[integration][image][physical]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
  const auto initdb = start.install_copy(physical_project().dumps());
  testing::write_text(initdb / "00-roles.sql", "CREATE ROLE reporting_reader NOLOGIN;\nCREATE DATABASE reporting;\n");
  testing::write_text(initdb / "20-grants.sql", "GRANT CONNECT ON DATABASE reporting TO reporting_reader;\n");
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: list of roles besides POSTGRES_USER differs: snapshot (none), this server reporting_reader") !=
        std::string::npos);
  CHECK(result.stderr_text.find("installed the physical snapshot") == std::string::npos);
  CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
  check_physical_counts(start.connection());
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_roles WHERE rolname = 'reporting_reader'") == "1");
  CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_database WHERE datname = 'reporting'") == "1");
}

// ALTER ROLE ... SET in an earlier init script lives in a shared catalog, which the snapshot replaces
// as well: the setting would be gone. The logical restore keeps it.
TEST_CASE("a role setting an earlier init script made turns a physical first start logical", "[integration][image][physical]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
  const auto initdb = start.install_copy(physical_project().dumps());
  testing::write_text(initdb / "00-role-settings.sql", "ALTER ROLE CURRENT_USER SET statement_timeout = '5min';\n");
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: list of role settings differs: snapshot (none), this server app: statement_timeout=5min") !=
        std::string::npos);
  CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
  check_physical_counts(start.connection());
  CHECK(testing::query_value(start.connection(), "SHOW statement_timeout") == "5min");
}

// POSTGRES_INITDB_ARGS and POSTGRES_INITDB_WALDIR make the image's cluster differ from the one the
// snapshot was made in. Each is one line and the logical dump: never files this cluster cannot use.
// A pg_wal that is a link to another volume would be replaced by the snapshot's directory, silently
// moving the WAL back into PGDATA.
TEST_CASE("an image cluster initialised with other initdb options falls back to the logical dump", "[integration][image][physical]") {
  struct Case {
    const char* name;
    std::string args;
    bool waldir;
    std::string line;
  };
  const std::vector<Case> cases = {
      {"--data-checksums", "--data-checksums", false, "data checksums differs: snapshot 0, this server 1"},
      {"--wal-segsize=32", "--wal-segsize=32", false, "WAL segment size differs: snapshot 16777216, this server 33554432"},
      {"--locale=C", "--locale=C", false, "LC_COLLATE differs: snapshot "},
      {"ICU", "--locale-provider=icu --icu-locale=en-US", false, "locale provider differs: snapshot libc, this server icu"},
      {"--auth-local=scram-sha-256", "--auth-local=scram-sha-256", false,
       "local authentication (pg_hba.conf) differs: snapshot trust, this server scram-sha-256"},
      {"POSTGRES_INITDB_WALDIR", "", true, "pg_wal is a link (POSTGRES_INITDB_WALDIR)"},
  };
  const passwd* postgres = ::getpwnam("postgres");
  REQUIRE(postgres != nullptr);
  for (const auto& c : cases) {
    INFO(c.name);
    util::TemporaryDirectory wal("pgseed-waldir-");
    make_readable_by_server(wal.path());
    REQUIRE(::chown(wal.path().c_str(), postgres->pw_uid, postgres->pw_gid) == 0);
    Env env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}};
    if (!c.args.empty()) env["POSTGRES_INITDB_ARGS"] = c.args;
    if (c.waldir) env["POSTGRES_INITDB_WALDIR"] = (wal.path() / "pg_wal").string();
    FirstStart start(env);
    const auto result = start.run(start.install(physical_project().dumps()));
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: physical snapshot not used: ") != std::string::npos);
    CHECK(result.stderr_text.find(c.line) != std::string::npos);
    CHECK(result.stderr_text.find("installed the physical snapshot") == std::string::npos);
    CHECK(result.stderr_text.find("pgseed-init: restored into") != std::string::npos);
    check_physical_counts(start.connection());
    if (c.waldir) CHECK(fs::is_symlink(start.work() / "data" / "pg_wal"));
  }
}

// An archive an attacker changed: ENTRY (from CRAFT) appended to the installed physical snapshot, and
// the metadata's size made to match, so that the archive is unpacked; its checksum does not match.
void tamper_physical_archive(const fs::path& initdb, const fs::path& craft, const std::string& entry) {
  const fs::path archive = initdb / "dev-seeded-latest.pgdata.tar.zst";
  util::Command tamper;
  tamper.argv = {"bash", "-c",
                 "set -e; zstd -dcq \"$1\" > \"$2/a.tar\"; tar -rf \"$2/a.tar\" -C \"$2\" \"$3\"; zstd -qf \"$2/a.tar\" -o \"$1\"",
                 "tamper", archive.string(), craft.string(), entry};
  const auto tampered = util::run_command(tamper);
  INFO(tampered.stderr_text);
  REQUIRE(tampered.ok());
  const fs::path metadata_file = initdb / "dev-seeded-latest.metadata.json";
  auto document = nlohmann::json::parse(testing::read_text(metadata_file));
  document["physical"]["sizeBytes"] = fs::file_size(archive);
  testing::write_text(metadata_file, document.dump(2));
}

// The archive is unpacked before its checksum is compared (the hash runs beside the unpack), so
// nothing that happens before the comparison may follow what the archive put in the staging
// directory. GNU tar makes a symlink with an absolute target at the end of the unpack; a copy into
// the staging directory would then write through it, here over the image's pg_hba.conf, before the
// archive is refused.
TEST_CASE("a tampered physical archive writes nothing outside its staging directory before it is refused", "[integration][image][physical]") {
  FirstStart start;
  const auto initdb = start.install_copy(physical_project().dumps());
  const fs::path target = start.work() / "data" / "pg_hba.conf";
  util::TemporaryDirectory craft("pgseed-craft-");
  fs::create_symlink(target, craft.path() / "postgresql.conf");
  tamper_physical_archive(initdb, craft.path(), "postgresql.conf");
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  CHECK(result.stderr_text.find("failed its checksum") != std::string::npos);
  CHECK(!fs::is_symlink(target));
  const std::string hba = testing::read_text(target);
  CHECK(hba.find("host all all all scram-sha-256") != std::string::npos);
  CHECK(hba.find("max_connections") == std::string::npos);
  REQUIRE(result.ok());
  check_physical_counts(start.connection());
}

// Nor may anything before that comparison read what the archive put there: a FIFO named PG_VERSION
// would block a read of it forever, and the first start with it, before the archive is refused.
TEST_CASE("a tampered physical archive cannot hang the first start before it is refused", "[integration][image][physical]") {
  FirstStart start;
  const auto initdb = start.install_copy(physical_project().dumps());
  util::TemporaryDirectory craft("pgseed-craft-");
  REQUIRE(::mkfifo((craft.path() / "PG_VERSION").c_str(), 0600) == 0);
  tamper_physical_archive(initdb, craft.path(), "PG_VERSION");
  // A hang is ended after 40 s (a physical start takes about one here), and is a failure.
  const std::string script = (initdb / "10-pgseed-restore.sh").string();
  const auto began = std::chrono::steady_clock::now();
  bool killed = false;
  const auto result = start.run(initdb, [&] {
    if (killed || std::chrono::steady_clock::now() - began < std::chrono::seconds(40)) return;
    if (const auto target = find_process([&](const std::vector<std::string>& args) { return has_argument(args, script); })) {
      kill_tree(*target);
      killed = true;
    }
  });
  INFO(result.stderr_text);
  CHECK(!killed);
  CHECK(result.stderr_text.find("failed its checksum") != std::string::npos);
  REQUIRE(result.ok());
  check_physical_counts(start.connection());
}

// Names as users write them: quotes, spaces, dashes, upper case, 63 bytes, POSTGRES_DB=postgres with
// another user; and a PGDATA with spaces (the restart reads its options back from postmaster.opts) or
// a trailing slash. (No quote, $ or backslash in POSTGRES_USER: PostgreSQL refuses them in the
// bootstrap superuser's name.)
TEST_CASE("a physical first start takes unusual POSTGRES_USER and POSTGRES_DB names, and PGDATA with spaces, a trailing slash, dots or relative", "[integration][image][physical]") {
  struct Case {
    const char* name;
    Env env;
    std::string work_name;
  };
  const std::vector<Case> cases = {
      {"quotes, spaces, dashes, upper case", {{"POSTGRES_USER", "App User-x"}, {"POSTGRES_DB", "Data base's \"x\"-y"}, {"POSTGRES_PASSWORD", "pw"}}, "pg"},
      {"63 bytes", {{"POSTGRES_USER", std::string(63, 'u')}, {"POSTGRES_DB", std::string(63, 'd')}, {"POSTGRES_PASSWORD", "pw"}}, "pg"},
      {"POSTGRES_DB=postgres with POSTGRES_USER=app", {{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "postgres"}, {"POSTGRES_PASSWORD", "pw"}}, "pg"},
      {"PGDATA with spaces", {{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "pw"}}, "pg with spaces"},
      // The server spells its config_file without them; the check that the poison is read must not
      // take the two spellings for two files.
      {"PGDATA with a trailing slash", {{"PGSEED_HARNESS_PGDATA_SUFFIX", "/"}}, "pg"},
      {"PGDATA with repeated slashes at the end", {{"PGSEED_HARNESS_PGDATA_SUFFIX", "//"}}, "pg"},
      // The server takes "." and ".." out too, and makes a relative PGDATA absolute.
      {"PGDATA with /. and /.. in it", {{"PGSEED_HARNESS_PGDATA_SUFFIX", "/./../data/."}}, "pg"},
      {"a relative PGDATA", {{"PGSEED_HARNESS_RELATIVE_PGDATA", "1"}}, "pg"},
      {"a relative PGDATA with ./ at the end", {{"PGSEED_HARNESS_RELATIVE_PGDATA", "1"}, {"PGSEED_HARNESS_PGDATA_SUFFIX", "/./"}}, "pg"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    FirstStart start(c.env, c.work_name);
    const auto result = start.run(start.install(physical_project().dumps()));
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
    check_physical_counts(start.connection());
    const std::string user = start.setting("POSTGRES_USER", "postgres");
    CHECK(testing::query_value(start.connection(), "SELECT rolname FROM pg_roles WHERE oid = 10") == user);
    CHECK(testing::query_value(start.connection(), "SELECT current_database()") == start.setting("POSTGRES_DB", user));
    CHECK(testing::query_value(start.connection(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()") == user);
    CHECK(testing::query_value(start.connection(), "SELECT count(*) FROM pg_database WHERE datname = 'postgres'") == "1");
  }
}

// An init script after ours that restarts the temporary server with `pg_ctl restart` (to load a
// shared_preload_libraries it just set, say): pg_ctl takes the options from postmaster.opts, which
// the physical start's restart wrote with its own config_file, a file that is gone once the clean
// postgresql.conf is back.
TEST_CASE("an init script after a physical start can restart the temporary server with pg_ctl restart", "[integration][image][physical]") {
  FirstStart start(Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", "appdb"}, {"POSTGRES_PASSWORD", "app-secret"}});
  const auto initdb = start.install_copy(physical_project().dumps());
  write_init_file(initdb, "20-restart.sh",
                  "#!/bin/sh\nset -e\npg_ctl -D \"$PGDATA\" -m fast -w restart >/dev/null\n"
                  "psql -v ON_ERROR_STOP=1 --no-psqlrc -At --username \"$POSTGRES_USER\" --dbname \"$POSTGRES_DB\" "
                  "-c 'SELECT count(*) FROM pgseed_provenance' >/dev/null\n",
                  RunAs::executed);
  const auto result = start.run(initdb);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  CHECK(result.stderr_text.find("pgseed-init: installed the physical snapshot") != std::string::npos);
  CHECK(testing::read_text(start.work() / "data" / "postmaster.opts").find("config_file") == std::string::npos);
  check_physical_counts(start.connection());
}

// Kill -9 anywhere in the physical path (unpack, stop, swap, restart, set-up). The image's next start
// of that volume must give a clean empty database, a complete one, or a server that refuses to start
// and says to recreate the volume: never a cluster that starts with missing or mixed data files.
TEST_CASE("a kill -9 during a physical first start leaves an empty, a complete, or a refusing volume", "[integration][image][physical][kill]") {
  const char* points_setting = std::getenv("PGSEED_INIT_KILL_POINTS");
  const int points = points_setting ? std::max(10, std::atoi(points_setting)) : 10;
  const char* seed_setting = std::getenv("PGSEED_INIT_KILL_SEED");
  const std::uint64_t seed = seed_setting ? std::stoull(seed_setting) : std::random_device{}();
  std::cerr << "physical kill test: " << points << " points, seed " << seed << " (PGSEED_INIT_KILL_SEED=" << seed
            << " repeats them)\n";
  INFO("PGSEED_INIT_KILL_SEED=" << seed);
  std::mt19937_64 random(seed);

  util::TemporaryDirectory install("pgseed-physical-kill-");
  make_readable_by_server(install.path());
  const auto installed = install_initdb(install.path() / "prefix", physical_project().dumps());
  REQUIRE(fs::is_regular_file(installed / "dev-seeded-latest.pgdata.tar.zst"));
  const auto executed = with_markers(installed, install.path() / "executed", false);
  const auto sourced = with_markers(installed, install.path() / "sourced", true);
  const fs::path markers = install.path() / "markers";
  fs::create_directories(markers);
  ::chmod(markers.c_str(), 01777);
  const auto expected = physical_metadata().record_counts;
  const std::string database = "appdb";
  const auto env_for = [&](const fs::path& marker) {
    return Env{{"POSTGRES_USER", "app"}, {"POSTGRES_DB", database}, {"POSTGRES_PASSWORD", "app-secret"},
               {"PGSEED_TEST_MARKER", marker.string()}};
  };
  const auto marked = [](const fs::path& marker, const char* what) { return fs::exists(marker.string() + what); };
  using Clock = std::chrono::steady_clock;

  long long script_ms = 0;
  {
    const fs::path marker = markers / "calibration";
    FirstStart start(env_for(marker));
    std::optional<Clock::time_point> began, ended;
    const auto result = start.run(executed, [&] {
      if (!began && marked(marker, ".start")) began = Clock::now();
      if (!ended && marked(marker, ".end")) ended = Clock::now();
    });
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    REQUIRE(result.stderr_text.find("installed the physical snapshot") != std::string::npos);
    REQUIRE(began);
    REQUIRE(ended);
    script_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*ended - *began).count();
  }
  std::cerr << "physical kill test: the script runs for " << script_ms << " ms\n";

  std::map<std::string, int> outcomes;
  int kills = 0;
  for (int attempt = 0; kills < points && attempt < 3 * points; ++attempt) {
    const bool source = attempt % 2 == 1;
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, script_ms)(random));
    const fs::path marker = markers / ("p" + std::to_string(attempt));
    const fs::path initdb = source ? sourced : executed;
    FirstStart start(env_for(marker));
    const std::string script = (initdb / "10-pgseed-restore.sh").string();
    const auto is_target = [&](const std::vector<std::string>& args) {
      return source ? has_argument(args, "inner") && has_argument(args, initdb.string()) : has_argument(args, script);
    };
    std::optional<Clock::time_point> began;
    bool killed = false;
    std::string killed_during;
    const auto result = start.run(initdb, [&] {
      if (killed) return;
      if (!began && marked(marker, ".start")) began = Clock::now();
      if (!began || Clock::now() - *began < delay || marked(marker, ".end")) return;
      const auto target = find_process(is_target);
      if (!target) return;
      for (const auto& [pid, parent] : parents()) {
        if (parent == *target) {
          const auto args = process_arguments(pid);
          if (!args.empty()) killed_during = fs::path(args[0]).filename().string();
        }
      }
      kill_tree(*target);
      killed = true;
    });
    start.crash();
    const auto next = start.next_start();
    const std::string during = killed ? "killed during " + (killed_during.empty() ? std::string("bash") : killed_during)
                                      : std::string("not killed, the script had finished");
    INFO("attempt " << attempt << ": kill after " << delay.count() << " ms, " << (source ? "sourced" : "executed") << ", "
                    << during);
    INFO(result.stderr_text);
    std::string outcome;
    if (!next.ok()) {
      // (c) The server refuses, and its log says why and what to do.
      std::error_code ignored;
      const std::string log = next.stderr_text + (fs::exists(start.work() / "server.log", ignored)
                                                       ? testing::read_text(start.work() / "server.log") : std::string());
      INFO(log);
      CHECK(log.find("pgseed-init was interrupted while installing a physical snapshot") != std::string::npos);
      CHECK(log.find("recreate it") != std::string::npos);
      // No server runs on it (a postmaster killed with the script can leave its pid file behind).
      std::ifstream pid_file(start.work() / "data" / "postmaster.pid");
      long pid = 0;
      if (pid_file >> pid && pid > 0) CHECK(::kill(static_cast<pid_t>(pid), 0) != 0);
      outcome = "refused";
    } else {
      const auto [found, leftovers] = inspect_next_start(start, database, expected);
      outcome = found == Outcome::empty ? "empty" : found == Outcome::complete ? "complete"
                                                  : found == Outcome::partial ? "PARTIAL" : "MISSING";
      CHECK((found == Outcome::empty || found == Outcome::complete));
      CHECK(leftovers.empty());
      if (found == Outcome::complete) {
        CHECK(testing::query_value(start.connection(), "SELECT rolname FROM pg_roles WHERE oid = 10") == "app");
      }
    }
    if (!killed) CHECK(outcome == "complete");
    std::cerr << "  " << delay.count() << " ms, " << (source ? "sourced" : "executed") << ", " << during << " -> "
              << outcome << "\n";
    ++outcomes[outcome];
    if (killed) ++kills;
  }
  CHECK(kills >= points);
  std::cerr << "physical kill test: " << kills << " kills; " << outcomes["empty"] << " empty, " << outcomes["complete"]
            << " complete, " << outcomes["refused"] << " refused\n";
}

TEST_CASE("dump --physical writes the snapshot beside the dump, and verify checks it", "[integration][physical]") {
  const auto& project = physical_project();
  const auto dump = testing::latest_real_dump(project.dumps());
  const auto metadata = physical_metadata();
  REQUIRE(metadata.physical);
  const auto archive = core::physical_path_for(dump);
  CHECK(metadata.physical->file == archive.filename().string());
  CHECK(fs::read_symlink(project.dumps() / "dev-seeded-latest.pgdata.tar.zst") == archive.filename());
  CHECK(fs::file_size(archive) == metadata.physical->size_bytes);
  CHECK(util::sha256_file(archive).sha256 == metadata.physical->checksum);
  CHECK(metadata.physical->major_version == metadata.server_version_num / 10000);
  CHECK(metadata.physical->name_data_len == 64);
  CHECK(metadata.physical->block_size == 8192);
  CHECK(metadata.physical->encoding == "UTF8");
  CHECK(!metadata.physical->architecture.empty());
  CHECK(!metadata.physical->glibc.empty());

  // The configuration files stay out of the archive: the image's are the ones that count.
  util::Command list;
  list.argv = {"tar", "--list", "--use-compress-program=zstd", "--file=" + archive.string()};
  const auto listed = util::run_command(list);
  REQUIRE(listed.ok());
  CHECK(listed.stdout_text.find("PG_VERSION\n") != std::string::npos);
  CHECK(listed.stdout_text.find("global/pg_control\n") != std::string::npos);
  for (const char* left_out : {"postgresql.conf", "pg_hba.conf", "pg_ident.conf", "postgresql.auto.conf", "postmaster.opts", "postmaster.pid"}) {
    INFO(left_out);
    CHECK(listed.stdout_text.find(std::string(left_out) + "\n") == std::string::npos);
  }
  // One WAL segment, the shutdown checkpoint's: segments kept for reuse are not archived.
  const std::regex segment("^pg_wal/[0-9A-F]{24}$");
  std::istringstream members(listed.stdout_text);
  int segments = 0;
  for (std::string member; std::getline(members, member);) segments += std::regex_match(member, segment) ? 1 : 0;
  CHECK(segments == 1);

  const auto verified = testing::run_pgseed({"verify", "-C", project.root().string()});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("ok: " + archive.string()) != std::string::npos);

  // A damaged snapshot fails verify (the dump itself is fine), in a copy of the directory.
  util::TemporaryDirectory copy("pgseed-physical-verify-");
  fs::copy(project.dumps(), copy.path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::resize_file(copy.path() / archive.filename(), metadata.physical->size_bytes - 1);
  const auto refused = testing::run_pgseed({"verify", "-C", project.root().string(), "--dump-dir", copy.path().string()});
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("physical snapshot") != std::string::npos);
  CHECK(refused.err.find("wrong size") != std::string::npos);
}

// verify, list and prune with the physical snapshot missing or a Git LFS pointer (not pulled): verify
// names the snapshot and says the dump is fine; list and prune still work on the dump.
TEST_CASE("a physical snapshot that is missing or a Git LFS pointer fails verify and leaves list and prune working", "[integration][physical]") {
  const auto& project = physical_project();
  const auto dump = testing::latest_real_dump(project.dumps());
  const auto archive_name = core::physical_path_for(dump).filename();
  struct Case {
    const char* name;
    std::function<void(const fs::path&)> damage;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"missing", [](const fs::path& archive) { fs::remove(archive); }, "does not exist"},
      {"a Git LFS pointer",
       [](const fs::path& archive) {
         testing::write_text(archive, "version https://git-lfs.github.com/spec/v1\noid sha256:" + std::string(64, 'a') + "\nsize 12\n");
       },
       "is a Git LFS pointer"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    util::TemporaryDirectory copy("pgseed-physical-verify-");
    fs::copy(project.dumps(), copy.path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    c.damage(copy.path() / archive_name);
    const auto verified = testing::run_pgseed({"verify", "-C", project.root().string(), "--dump-dir", copy.path().string()});
    INFO(verified.err);
    CHECK(verified.exit_code == 3);
    CHECK(verified.err.find(c.message) != std::string::npos);
    CHECK(verified.err.find("the dump itself is fine") != std::string::npos);
    const auto listed = testing::run_pgseed({"list", "-C", project.root().string(), "--dump-dir", copy.path().string()});
    INFO(listed.err);
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find(dump.filename().string()) != std::string::npos);
    const auto pruned = testing::run_pgseed({"prune", "-C", project.root().string(), "--dump-dir", copy.path().string(), "--keep", "1", "--dry-run"});
    INFO(pruned.err);
    CHECK(pruned.exit_code == 0);
  }
}
