// Sharing dumps through ExternalData: content links in git, objects in stores. Everything is real:
// directory stores, object servers over HTTP on 127.0.0.1 (tests/sharing/object_server.py under
// Debian's /usr/bin/python3), CMake's own ExternalData module doing the fetching, git cloning.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/util/sha256.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

const fs::path python = "/usr/bin/python3";
const fs::path object_server_script = fs::path(PGSEED_SOURCE_DIR) / "tests" / "sharing" / "object_server.py";

// An object server for the length of a test: started on a free port of 127.0.0.1, stopped (and
// reaped) by the destructor, and killed with the test process if that dies first.
class ObjectServer {
public:
  ObjectServer(const fs::path& root, const std::string& mode) : directory_("pgseed-object-server-") {
    const fs::path port_file = directory_.path() / "port";
    const std::vector<std::string> argv_text = {python.string(), object_server_script.string(), "--root", root.string(),
                                                "--port-file", port_file.string(), "--mode", mode};
    std::vector<char*> argv;
    for (const auto& argument : argv_text) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs::exists(port_file)) {
      stop();
      throw std::runtime_error("object server did not start");
    }
    port_ = testing::read_text(port_file);
  }
  ~ObjectServer() { stop(); }
  ObjectServer(const ObjectServer&) = delete;
  ObjectServer& operator=(const ObjectServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + port_; }

private:
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  util::TemporaryDirectory directory_;
  pid_t pid_ = -1;
  std::string port_;
};

// A port of 127.0.0.1 that nothing listens on: bound, then closed again.
std::string dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  ::close(fd);
  return std::to_string(port);
}

util::CommandResult run(std::vector<std::string> argv, const fs::path& directory = {}, const std::string& stdin_text = {}) {
  util::Command command;
  command.argv = std::move(argv);
  command.working_directory = directory;
  // Nothing from the caller's shell decides where dumps come from.
  for (const char* name : {"DATABASE_URL", "PGSEED_ENVIRONMENT", "PGSEED_DUMP_DIR", "PGSEED_SHARING",
                           "PGSEED_OBJECT_STORES", "PGSEED_URL_TEMPLATES", "ExternalData_OBJECT_STORES"}) {
    command.env[name] = std::nullopt;
  }
  command.env["PGSEED_LOCAL_SERVER_DIR"] = testing::local_server_directory().string();
  util::TemporaryDirectory input("pgseed-stdin-");
  if (!stdin_text.empty()) {
    testing::write_text(input.path() / "typed", stdin_text);
    command.stdin_file = input.path() / "typed";
  }
  return util::run_command(command);
}

util::CommandResult git(const fs::path& directory, std::vector<std::string> arguments) {
  std::vector<std::string> argv = {"git", "-C", directory.string(), "-c", "user.name=pgseed test", "-c",
                                   "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c",
                                   "protocol.file.allow=always"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto result = run(argv);
  if (!result.ok()) throw std::runtime_error("git " + arguments.front() + " failed: " + result.stderr_text);
  return result;
}

enum class Gitattributes { none, lfs };

// The producer of a shared dump: a small CMake project with the example app's migrations and seeds,
// committed in its own git repository; with this repository's .gitattributes (dumps in Git LFS) when
// asked.
void make_producer_project(const fs::path& origin, Gitattributes gitattributes) {
  fs::create_directories(origin);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "migrations", origin / "migrations", fs::copy_options::recursive);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "seeds", origin / "seeds", fs::copy_options::recursive);
  if (gitattributes == Gitattributes::lfs) {
    fs::copy_file(fs::path(PGSEED_SOURCE_DIR) / ".gitattributes", origin / ".gitattributes");
  }
  testing::write_text(origin / "CMakeLists.txt",
                      "cmake_minimum_required(VERSION 3.25)\n"
                      "project(consumer LANGUAGES NONE)\n"
                      "include(\"" PGSEED_SOURCE_DIR "/cmake/pgseed.cmake\")\n"
                      "pgseed_add_database_targets(PGSEED_EXECUTABLE \"" PGSEED_BINARY "\")\n");
  testing::write_text(origin / ".gitignore", "/build/\n");
  git(origin, {"init", "-q"});
  git(origin, {"add", "."});
  git(origin, {"commit", "-qm", "app"});
}


std::string sha256_of(const fs::path& file) { return util::sha256_file(file).sha256; }

// Same size, other bytes: what a bad disk or a stray write leaves.
void corrupt(const fs::path& file) {
  ::chmod(file.c_str(), 0644);
  std::string content = testing::read_text(file);
  content[content.size() / 2] = static_cast<char>(content[content.size() / 2] ^ 0x5a);
  testing::write_text(file, content);
}

fs::path object_in(const fs::path& store, const std::string& hash) { return store / "SHA256" / hash; }

}  // namespace

TEST_CASE("dump with externaldata writes the content link and the object, and keeps dumps out of git", "[integration][sharing]") {
  testing::ScratchProject project;
  util::TemporaryDirectory stores("pgseed-stores-");
  const fs::path first = stores.path() / "first";
  const fs::path second = stores.path() / "second";
  const auto dumped = testing::run_pgseed({"dump", "-C", project.root().string(), "--sharing", "externaldata"},
                                          {{"PGSEED_OBJECT_STORES", first.string() + ";" + second.string()}});
  INFO(dumped.err);
  REQUIRE(dumped.exit_code == 0);
  const fs::path dump = testing::latest_real_dump(project.dumps());
  const std::string checksum = core::read_metadata(core::metadata_path_for(dump)).checksum;

  // ExternalData's format: the hash in lowercase hex and a newline.
  CHECK(testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256") == checksum + "\n");
  // The object is in the first store only, byte for byte the dump.
  REQUIRE(fs::exists(object_in(first, checksum)));
  CHECK(sha256_of(object_in(first, checksum)) == checksum);
  CHECK_FALSE(fs::exists(second / "SHA256"));
  CHECK(testing::read_text(project.dumps() / ".gitignore").find("\n*.dump\n") != std::string::npos);

  SECTION("lfs, the default, writes neither link nor object") {
    testing::ScratchProject plain;
    const auto lfs = testing::run_pgseed({"dump", "-C", plain.root().string(), "--object-store", second.string()});
    REQUIRE(lfs.exit_code == 0);
    CHECK_FALSE(fs::exists(plain.dumps() / "dev-seeded-latest.dump.sha256"));
    CHECK_FALSE(fs::exists(second / "SHA256"));
  }
  SECTION("a bad --sharing is a usage error") {
    const auto bad = testing::run_pgseed({"dump", "-C", project.root().string(), "--sharing", "svn"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("sharing 'svn' is not lfs or externaldata") != std::string::npos);
  }
}

TEST_CASE("publish copies the latest object to a directory, a file url and an http PUT server", "[integration][sharing]") {
  testing::ScratchProject project;
  util::TemporaryDirectory area("pgseed-publish-");
  const fs::path local = area.path() / "local";
  const auto dumped = testing::run_pgseed(
      {"dump", "-C", project.root().string(), "--sharing", "externaldata", "--object-store", local.string()});
  REQUIRE(dumped.exit_code == 0);
  const std::string hash = testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256").substr(0, 64);

  const fs::path directory = area.path() / "directory";
  auto published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", directory.string()});
  INFO(published.err);
  REQUIRE(published.exit_code == 0);
  CHECK(sha256_of(object_in(directory, hash)) == hash);
  CHECK(published.out.find("to " + object_in(directory, hash).string()) != std::string::npos);
  // A good object already there is kept as it is (build trees link to it)...
  const auto written = fs::last_write_time(object_in(directory, hash));
  published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", directory.string()});
  REQUIRE(published.exit_code == 0);
  CHECK(published.out.find("already in") != std::string::npos);
  CHECK(fs::last_write_time(object_in(directory, hash)) == written);
  // ... a corrupted one is replaced by a verified copy, and said.
  corrupt(object_in(directory, hash));
  published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", directory.string()});
  REQUIRE(published.exit_code == 0);
  CHECK(published.err.find("is corrupted; replacing it with a verified copy") != std::string::npos);
  CHECK(sha256_of(object_in(directory, hash)) == hash);

  const fs::path by_url = area.path() / "by-url";
  published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", "file://" + by_url.string() + "/%(algo)/%(hash)"});
  REQUIRE(published.exit_code == 0);
  CHECK(sha256_of(object_in(by_url, hash)) == hash);

  const fs::path served = area.path() / "served";
  fs::create_directories(served);
  {
    ObjectServer server(served, "good");
    // The default store is the first URL template.
    published = testing::run_pgseed({"publish", "-C", project.root().string()},
                                    {{"PGSEED_URL_TEMPLATES", server.url() + "/objects/%(algo)/%(hash)"}});
    INFO(published.err);
    REQUIRE(published.exit_code == 0);
    CHECK(sha256_of(served / "objects" / "SHA256" / hash) == hash);
  }
  SECTION("a server that fails the PUT is an error naming the url") {
    ObjectServer down(served, "error");
    const auto failed = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", down.url()});
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("publishing to " + down.url() + "/SHA256/" + hash + " failed") != std::string::npos);
  }
  SECTION("credentials in the url are refused before anything is sent") {
    const auto refused = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", "https://user:secret@example.invalid/x"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("secret") == std::string::npos);
    CHECK(refused.err.find("~/.netrc") != std::string::npos);
  }
  SECTION("a corrupted source is never published") {
    fs::remove(project.dumps() / "dev-seeded-latest.dump");  // only the store copy is left
    corrupt(object_in(local, hash));
    const fs::path elsewhere = area.path() / "elsewhere";
    const auto refused = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", elsewhere.string(),
                                              "--object-store", local.string()});
    CHECK(refused.exit_code == 3);
    CHECK_FALSE(fs::exists(object_in(elsewhere, hash)));
  }
}

TEST_CASE("a fresh clone with only content links fetches through dead and wrong mirrors, verifies and restores", "[integration][sharing][cmake]") {
  util::TemporaryDirectory area("pgseed-externaldata-");
  ::chmod(area.path().c_str(), 0755);
  const fs::path origin = area.path() / "origin";
  const fs::path remote = area.path() / "remote.git";
  const fs::path shared = area.path() / "shared-store";  // the team's directory store
  const fs::path served = area.path() / "served";        // what the good HTTP mirror serves

  make_producer_project(origin, Gitattributes::lfs);
  const fs::path producer_build = origin / "build";
  auto configured = run({"cmake", "-S", origin.string(), "-B", producer_build.string(), "-DPGSEED_SHARING=externaldata",
                         "-DPGSEED_OBJECT_STORES=" + shared.string()});
  INFO(configured.stdout_text + configured.stderr_text);
  REQUIRE(configured.ok());
  const auto generated = run({"cmake", "--build", producer_build.string(), "--target", "generate-dump"});
  INFO(generated.stdout_text + generated.stderr_text);
  REQUIRE(generated.ok());
  const std::string hash = testing::read_text(origin / "dumps" / "dev-seeded-latest.dump.sha256").substr(0, 64);
  REQUIRE(fs::exists(object_in(shared, hash)));
  // The producer's own build picks the new link up by itself (CMake configures again) and verifies
  // the object from its store against the metadata.
  const auto producer_verified = run({"cmake", "--build", producer_build.string(), "--target", "verify-dump"});
  INFO(producer_verified.stdout_text + producer_verified.stderr_text);
  REQUIRE(producer_verified.ok());
  CHECK(producer_verified.stdout_text.find("Found object: \"" + object_in(shared, hash).string()) != std::string::npos);
  git(origin, {"add", "dumps"});
  git(origin, {"commit", "-qm", "dev dump"});
  // Only the link and the metadata are committed.
  const std::string committed = git(origin, {"ls-files", "dumps"}).stdout_text;
  CHECK(committed.find("dumps/dev-seeded-latest.dump.sha256") != std::string::npos);
  CHECK(committed.find("dumps/dev-seeded-latest.metadata.json") != std::string::npos);
  CHECK(committed.find(".dump\n") == std::string::npos);
  fs::create_directories(remote);
  git(remote, {"init", "-q", "--bare"});
  git(origin, {"push", "-q", "file://" + remote.string(), "HEAD:main"});

  // The mirrors, in the order the consumer tries them: one nobody answers on, one that is down
  // (500), one that serves the wrong bytes, and finally a good one.
  fs::create_directories(served / "SHA256");
  fs::copy_file(object_in(shared, hash), object_in(served, hash));
  ObjectServer down(served, "error");
  ObjectServer wrong(served, "wrong");
  ObjectServer good(served, "good");
  const std::string templates = "http://127.0.0.1:" + dead_port() + "/%(algo)/%(hash);" + down.url() + "/%(algo)/%(hash);" +
                                wrong.url() + "/%(algo)/%(hash);" + good.url() + "/%(algo)/%(hash)";

  // The consumer: a fresh clone, its own empty local store, the test server as its database.
  const fs::path clone = area.path() / "clone";
  git(area.path(), {"clone", "-q", "file://" + remote.string(), clone.string()});
  CHECK_FALSE(fs::exists(clone / "dumps" / "dev-seeded-latest.dump"));
  const fs::path local = area.path() / "consumer-store";
  const auto database = testing::fresh_database("externaldata");
  const fs::path build = clone / "build";
  configured = run({"cmake", "-S", clone.string(), "-B", build.string(), "-DPGSEED_SHARING=externaldata",
                    "-DPGSEED_OBJECT_STORES=" + local.string(), "-DPGSEED_URL_TEMPLATES=" + templates,
                    "-DPGSEED_DATABASE_URL=" + database.keyword_string()});
  INFO(configured.stdout_text + configured.stderr_text);
  REQUIRE(configured.ok());
  // fetch-dumps is not part of ALL: a plain build needs no store.
  const auto all = run({"cmake", "--build", build.string()});
  REQUIRE(all.ok());
  CHECK_FALSE(fs::exists(local / "SHA256"));

  const auto fetched = run({"cmake", "--build", build.string(), "--target", "fetch-dumps"});
  INFO(fetched.stdout_text + fetched.stderr_text);
  REQUIRE(fetched.ok());
  // ExternalData tried every mirror in turn: the dead one, the one that is down, the one serving the
  // wrong bytes (which it hashed and dropped: what ends up in the store is right), the good one.
  std::size_t at = 0;
  for (const std::string& mirror : {down.url(), wrong.url(), good.url()}) {
    at = fetched.stdout_text.find("Fetching \"" + mirror + "/SHA256/", at);
    CHECK(at != std::string::npos);
  }
  CHECK(fetched.stdout_text.find("Downloaded object: \"" + object_in(local, hash).string()) != std::string::npos);
  const fs::path fetched_dump = build / "pgseed" / "dumps" / "dev-seeded-latest.dump";
  REQUIRE(fs::exists(fetched_dump));
  CHECK(sha256_of(fetched_dump) == hash);
  CHECK(sha256_of(object_in(local, hash)) == hash);

  const auto verified = run({"cmake", "--build", build.string(), "--target", "verify-dump"});
  INFO(verified.stdout_text + verified.stderr_text);
  REQUIRE(verified.ok());
  CHECK(verified.stdout_text.find("ok: " + fetched_dump.string()) != std::string::npos);
  // Without --metadata, a fetched file (a link to a store object) is paired with the metadata in
  // the dump directory.
  const auto paired = testing::run_pgseed({"verify", "-C", clone.string(), fetched_dump.string()});
  INFO(paired.err);
  CHECK(paired.exit_code == 0);

  // restore-dump asks before replacing a configured database: answer it on a terminal.
  const auto restored = run({"script", "-qec", "cmake --build '" + build.string() + "' --target restore-dump", "/dev/null"},
                            {}, "y\n");
  INFO(restored.stdout_text + restored.stderr_text);
  REQUIRE(restored.ok());
  CHECK(restored.stdout_text.find("counts verified") != std::string::npos);
  CHECK(testing::query_value(database, "SELECT count(*) FROM users") == "11");
  CHECK(testing::query_value(database, "SELECT checksum FROM pgseed_provenance ORDER BY restored_at DESC LIMIT 1") == hash);
  // install-initdb stages the fetched dump (a regular file) beside the init script.
  const auto staged = run({"cmake", "--build", build.string(), "--target", "install-initdb"});
  INFO(staged.stdout_text + staged.stderr_text);
  REQUIRE(staged.ok());
  const fs::path staged_dump = build / "initdb" / "docker-entrypoint-initdb.d" / "dev-seeded-latest.dump";
  CHECK(fs::is_regular_file(fs::symlink_status(staged_dump)));
  CHECK(sha256_of(staged_dump) == hash);

  SECTION("a corrupted object in the local store is refused, with a hint naming it") {
    corrupt(object_in(local, hash));
    const auto refused = run({"cmake", "--build", build.string(), "--target", "verify-dump"});
    const std::string said = refused.stdout_text + refused.stderr_text;
    INFO(said);
    CHECK_FALSE(refused.ok());
    CHECK(said.find("failed its checksum") != std::string::npos);
    CHECK(said.find("pgseed: hint: the object store holds a corrupted copy: delete " + object_in(local, hash).string()) !=
          std::string::npos);
    // pgseed verify alone finds the fetched file's metadata through the store object too.
    const auto direct = testing::run_pgseed({"verify", "-C", clone.string(), fetched_dump.string()});
    CHECK(direct.exit_code == 3);
    CHECK(direct.err.find("delete " + object_in(local, hash).string()) != std::string::npos);
    // Following the hint: delete it, fetch again, and all is well.
    fs::remove(object_in(local, hash));
    const auto again = run({"cmake", "--build", build.string(), "--target", "verify-dump"});
    INFO(again.stdout_text + again.stderr_text);
    CHECK(again.ok());
    CHECK(sha256_of(object_in(local, hash)) == hash);
  }
  SECTION("a pair whose checksum does not match is refused in one line") {
    const fs::path other = area.path() / "other.dump";
    testing::write_text(other, "not a dump at all, and not the metadata's checksum either\n");
    const auto refused = testing::run_pgseed(
        {"verify", "-C", clone.string(), other.string(), "--metadata", (clone / "dumps" / "dev-seeded-latest.metadata.json").string()});
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("pgseed: error: dump " + other.string() + " has the wrong size") == 0);
  }
  SECTION("pgseed reset and restore find the object through the content link and the local store") {
    const auto reset = testing::run_pgseed({"reset", "-C", clone.string(), "--yes", "--database-url", database.keyword_string(),
                                            "--sharing", "externaldata", "--object-store", local.string()});
    INFO(reset.err);
    CHECK(reset.exit_code == 0);
    CHECK(testing::query_value(database, "SELECT count(*) FROM users") == "11");
  }
}

TEST_CASE("a file url store with percent-escapes is the directory ExternalData reads from", "[integration][sharing]") {
  // file:///team%20dumps/... is how a path with a space is written as a URL; CMake's file(DOWNLOAD)
  // (so ExternalData and fetch-dumps) decodes it. pgseed must write where they read.
  testing::ScratchProject project;
  util::TemporaryDirectory area("pgseed-escaped-");
  const fs::path store = area.path() / "team dumps";
  const std::string store_url = "file://" + area.path().string() + "/team%20dumps";
  const auto dumped = testing::run_pgseed({"dump", "-C", project.root().string(), "--sharing", "externaldata"},
                                          {{"PGSEED_URL_TEMPLATES", store_url + "/%(algo)/%(hash)"}});
  INFO(dumped.err);
  REQUIRE(dumped.exit_code == 0);
  const std::string hash = testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256").substr(0, 64);
  CHECK(fs::exists(object_in(store, hash)));
  CHECK_FALSE(fs::exists(area.path() / "team%20dumps"));

  // What CMake itself fetches from that URL.
  const fs::path script = area.path() / "fetch.cmake";
  const fs::path fetched = area.path() / "fetched";
  testing::write_text(script, "file(DOWNLOAD \"" + store_url + "/SHA256/" + hash + "\" \"" + fetched.string() +
                                  "\" EXPECTED_HASH SHA256=" + hash + " STATUS status)\nlist(GET status 0 code)\n"
                                  "if(NOT code EQUAL 0)\n  message(FATAL_ERROR \"${status}\")\nendif()\n");
  const auto cmake = run({"cmake", "-P", script.string()});
  INFO(cmake.stderr_text);
  CHECK(cmake.ok());

  const auto published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to",
                                              "file://" + area.path().string() + "/pub%20lic"});
  INFO(published.err);
  REQUIRE(published.exit_code == 0);
  CHECK(sha256_of(object_in(area.path() / "pub lic", hash)) == hash);
}

TEST_CASE("credentials in a URL template never reach a command line of the module's targets", "[integration][sharing][cmake]") {
  // ExternalData can read from https://user:secret@host/...; pgseed's publish refuses such a url, but
  // the module must not put it on dump's or publish's command line (ps, make VERBOSE=1) meanwhile.
  util::TemporaryDirectory area("pgseed-template-secret-");
  const fs::path project = area.path() / "app";
  fs::create_directories(project / "dumps");
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "migrations", project / "migrations", fs::copy_options::recursive);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "seeds", project / "seeds", fs::copy_options::recursive);
  testing::write_text(project / "dumps" / "dev-seeded-latest.dump.sha256", std::string(64, 'a') + "\n");
  testing::write_text(project / "CMakeLists.txt",
                      "cmake_minimum_required(VERSION 3.25)\n"
                      "project(consumer LANGUAGES NONE)\n"
                      "include(\"" PGSEED_SOURCE_DIR "/cmake/pgseed.cmake\")\n"
                      "pgseed_add_database_targets(PGSEED_EXECUTABLE \"" PGSEED_BINARY "\")\n");
  const fs::path build = area.path() / "build";
  const auto configured = run({"cmake", "-S", project.string(), "-B", build.string(), "-DPGSEED_SHARING=externaldata",
                               "-DPGSEED_URL_TEMPLATES=https://bob:tops3cret@example.invalid/%(algo)/%(hash)"});
  INFO(configured.stdout_text + configured.stderr_text);
  REQUIRE(configured.ok());
  for (const char* target : {"generate-dump", "publish-dump"}) {
    const fs::path rules = build / "CMakeFiles" / (std::string(target) + ".dir") / "build.make";
    REQUIRE(fs::exists(rules));
    INFO(target);
    CHECK(testing::read_text(rules).find("tops3cret") == std::string::npos);
  }
  // publish-dump still refuses that store, as pgseed publish does, without saying the secret.
  const auto published = run({"cmake", "--build", build.string(), "--target", "publish-dump"});
  CHECK_FALSE(published.ok());
  CHECK((published.stdout_text + published.stderr_text).find("tops3cret") == std::string::npos);
  CHECK((published.stdout_text + published.stderr_text).find("~/.netrc") != std::string::npos);
}

TEST_CASE("a relative PGSEED_OBJECT_STORES is one directory for generate-dump and fetch-dumps", "[integration][sharing][cmake]") {
  // generate-dump runs pgseed in the project directory, ExternalData's fetch in the build tree: a
  // relative store must not name two places (the object written where fetch-dumps never looks).
  util::TemporaryDirectory area("pgseed-relative-store-");
  const fs::path project = area.path() / "app";
  fs::create_directories(project);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "migrations", project / "migrations", fs::copy_options::recursive);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "seeds", project / "seeds", fs::copy_options::recursive);
  testing::write_text(project / "CMakeLists.txt",
                      "cmake_minimum_required(VERSION 3.25)\n"
                      "project(consumer LANGUAGES NONE)\n"
                      "include(\"" PGSEED_SOURCE_DIR "/cmake/pgseed.cmake\")\n"
                      "pgseed_add_database_targets(PGSEED_EXECUTABLE \"" PGSEED_BINARY "\")\n");
  const std::vector<std::string> options = {"-DPGSEED_SHARING=externaldata", "-DPGSEED_OBJECT_STORES=team-objects"};
  const auto configure = [&](const fs::path& build) {
    std::vector<std::string> argv = {"cmake", "-S", project.string(), "-B", build.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    const auto configured = run(argv);
    INFO(configured.stdout_text + configured.stderr_text);
    REQUIRE(configured.ok());
  };
  configure(area.path() / "producer");
  const auto generated = run({"cmake", "--build", (area.path() / "producer").string(), "--target", "generate-dump"});
  INFO(generated.stdout_text + generated.stderr_text);
  REQUIRE(generated.ok());
  const std::string hash = testing::read_text(project / "dumps" / "dev-seeded-latest.dump.sha256").substr(0, 64);
  // Relative to the project, where the dumps are.
  CHECK(fs::exists(object_in(project / "team-objects", hash)));

  // Another build tree of the same checkout finds that object without any URL template.
  configure(area.path() / "reader");
  const auto fetched = run({"cmake", "--build", (area.path() / "reader").string(), "--target", "verify-dump"});
  INFO(fetched.stdout_text + fetched.stderr_text);
  CHECK(fetched.ok());
}

TEST_CASE("dump with an object store it cannot write stops before work and leaves no files", "[integration][sharing]") {
  // A store under a regular file can never be created; found out after the dump, it used to leave
  // a dump and its metadata that no link names, from a run that failed.
  testing::ScratchProject project;
  util::TemporaryDirectory area("pgseed-bad-store-");
  testing::write_text(area.path() / "a-file", "x");
  const fs::path store = area.path() / "a-file" / "store";
  const auto dumped = testing::run_pgseed({"dump", "-C", project.root().string(), "--sharing", "externaldata",
                                           "--object-store", store.string()});
  INFO(dumped.err);
  CHECK(dumped.exit_code == 2);
  CHECK(dumped.err.find("object store " + store.string() + " cannot be created") != std::string::npos);
  CHECK(dumped.err.find("dumping") == std::string::npos);  // no cluster, no migrate, no seed first
  std::vector<std::string> left;
  if (fs::exists(project.dumps())) {
    for (const auto& entry : fs::directory_iterator(project.dumps())) {
      const std::string name = entry.path().filename().string();
      if (name != ".gitignore" && name != "README.md") left.push_back(name);
    }
  }
  CHECK(left.empty());
}

TEST_CASE("publish takes credentials from the netrc file NETRC names, as its hint says", "[integration][sharing]") {
  // curl itself only reads ~/.netrc; the hint for a url with credentials offers NETRC=FILE.
  testing::ScratchProject project;
  const auto dumped = testing::run_pgseed({"dump", "-C", project.root().string(), "--sharing", "externaldata"});
  REQUIRE(dumped.exit_code == 0);
  const std::string hash = testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256").substr(0, 64);
  util::TemporaryDirectory area("pgseed-netrc-");
  const fs::path served = area.path() / "served";
  fs::create_directories(served);
  const fs::path home = area.path() / "home";  // an empty HOME: no ~/.netrc to fall back on
  fs::create_directories(home);
  const fs::path netrc = area.path() / "team.netrc";
  testing::write_text(netrc, "machine 127.0.0.1 login publisher password s3cret\n");
  ::chmod(netrc.c_str(), 0600);
  ObjectServer server(served, "auth");

  const auto anonymous = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", server.url()},
                                             {{"HOME", home.string()}});
  CHECK(anonymous.exit_code == 1);  // the server does want credentials
  const auto published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", server.url()},
                                             {{"HOME", home.string()}, {"NETRC", netrc.string()}});
  INFO(published.err);
  CHECK(published.exit_code == 0);
  CHECK(fs::exists(object_in(served, hash)));
  CHECK(published.err.find("s3cret") == std::string::npos);
}

namespace {

std::string physical_checksum_of(const fs::path& metadata) {
  const auto read = core::read_metadata(metadata);
  if (!read.physical) throw std::runtime_error(metadata.string() + " has no physical section");
  return read.physical->checksum;
}

}  // namespace

TEST_CASE("dump --physical with externaldata shares the snapshot too, and a dump without one removes its link", "[integration][sharing][physical]") {
  testing::ScratchProject project;
  util::TemporaryDirectory area("pgseed-physical-share-");
  const fs::path store = area.path() / "store";
  // A .gitignore from before snapshots were shared: the missing rule is added, the old one kept once.
  fs::create_directories(project.dumps());
  testing::write_text(project.dumps() / ".gitignore", "*.dump\n");
  const auto dumped = testing::run_pgseed(
      {"dump", "--physical", "-C", project.root().string(), "--sharing", "externaldata", "--object-store", store.string()});
  INFO(dumped.err);
  REQUIRE(dumped.exit_code == 0);
  const fs::path dump = testing::latest_real_dump(project.dumps());
  const std::string hash = core::read_metadata(core::metadata_path_for(dump)).checksum;
  const std::string physical_hash = physical_checksum_of(core::metadata_path_for(dump));

  // Both links, ExternalData's format, and both objects in the store, byte for byte the files.
  CHECK(testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256") == hash + "\n");
  CHECK(testing::read_text(project.dumps() / "dev-seeded-latest.pgdata.tar.zst.sha256") == physical_hash + "\n");
  REQUIRE(fs::exists(object_in(store, physical_hash)));
  CHECK(sha256_of(object_in(store, physical_hash)) == physical_hash);
  CHECK(sha256_of(core::physical_path_for(dump)) == physical_hash);
  CHECK(sha256_of(object_in(store, hash)) == hash);
  CHECK(testing::read_text(project.dumps() / ".gitignore").find("\n*.pgdata.tar.zst\n") != std::string::npos);

  // What git would commit of dumps/: the links and the metadata, neither the dump nor the archive.
  git(project.root(), {"init", "-q"});
  git(project.root(), {"add", "dumps"});
  const std::string staged = git(project.root(), {"ls-files", "dumps"}).stdout_text;
  INFO(staged);
  CHECK(staged.find("dumps/dev-seeded-latest.pgdata.tar.zst.sha256\n") != std::string::npos);
  CHECK(staged.find("dumps/dev-seeded-latest.dump.sha256\n") != std::string::npos);
  CHECK(staged.find(".pgdata.tar.zst\n") == std::string::npos);
  CHECK(staged.find(".dump\n") == std::string::npos);
  CHECK(staged.find("dumps/.gitignore\n") != std::string::npos);
  const std::string ignore = testing::read_text(project.dumps() / ".gitignore");
  CHECK(ignore.find("*.dump") == ignore.rfind("*.dump"));

  // publish sends both objects, and says so in its one line.
  const fs::path outbox = area.path() / "outbox";
  const auto published = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", outbox.string()});
  INFO(published.err);
  REQUIRE(published.exit_code == 0);
  CHECK(sha256_of(object_in(outbox, hash)) == hash);
  CHECK(sha256_of(object_in(outbox, physical_hash)) == physical_hash);
  CHECK(published.out.find(", physical snapshot SHA256/" + physical_hash) != std::string::npos);
  CHECK(std::count(published.out.begin(), published.out.end(), '\n') == 1);

  // Only the store copy left, and that one corrupted: publish refuses to send it.
  fs::remove(project.dumps() / "dev-seeded-latest.pgdata.tar.zst");
  corrupt(object_in(store, physical_hash));
  const fs::path elsewhere = area.path() / "elsewhere";
  const auto refused = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", elsewhere.string(),
                                            "--object-store", store.string()});
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("dev-seeded-latest.pgdata.tar.zst.sha256") != std::string::npos);
  CHECK_FALSE(fs::exists(object_in(elsewhere, physical_hash)));

  // A later dump without --physical: the link would make fetch-dumps bring an archive of older data.
  const auto plain = testing::run_pgseed(
      {"dump", "-C", project.root().string(), "--sharing", "externaldata", "--object-store", store.string()});
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  CHECK_FALSE(fs::exists(project.dumps() / "dev-seeded-latest.pgdata.tar.zst.sha256"));
  CHECK(testing::read_text(project.dumps() / "dev-seeded-latest.dump.sha256") != hash + "\n");
  const auto published_plain = testing::run_pgseed({"publish", "-C", project.root().string(), "--to", outbox.string()});
  REQUIRE(published_plain.exit_code == 0);
  CHECK(published_plain.out.find(", physical snapshot") == std::string::npos);
}

TEST_CASE("a fresh clone fetches the physical snapshot with the dump, installs both, and refuses a corrupted one", "[integration][sharing][physical][cmake]") {
  util::TemporaryDirectory area("pgseed-physical-externaldata-");
  ::chmod(area.path().c_str(), 0755);
  const fs::path origin = area.path() / "origin";
  const fs::path remote = area.path() / "remote.git";
  const fs::path shared = area.path() / "shared-store";

  make_producer_project(origin, Gitattributes::none);
  const fs::path producer_build = origin / "build";
  auto configured = run({"cmake", "-S", origin.string(), "-B", producer_build.string(), "-DPGSEED_SHARING=externaldata",
                         "-DPGSEED_OBJECT_STORES=" + shared.string(), "-DPGSEED_PHYSICAL=ON"});
  INFO(configured.stdout_text + configured.stderr_text);
  REQUIRE(configured.ok());
  const auto generated = run({"cmake", "--build", producer_build.string(), "--target", "generate-dump"});
  INFO(generated.stdout_text + generated.stderr_text);
  REQUIRE(generated.ok());
  const fs::path metadata = origin / "dumps" / "dev-seeded-latest.metadata.json";
  const std::string hash = testing::read_text(origin / "dumps" / "dev-seeded-latest.dump.sha256").substr(0, 64);
  const std::string physical_hash = physical_checksum_of(metadata);
  REQUIRE(fs::exists(object_in(shared, physical_hash)));
  // The producer's own verify-dump checks the fetched snapshot too.
  const auto producer_verified = run({"cmake", "--build", producer_build.string(), "--target", "verify-dump"});
  INFO(producer_verified.stdout_text + producer_verified.stderr_text);
  CHECK(producer_verified.ok());
  git(origin, {"add", "dumps"});
  git(origin, {"commit", "-qm", "dev dump with a physical snapshot"});
  const std::string committed = git(origin, {"ls-files", "dumps"}).stdout_text;
  CHECK(committed.find("dumps/dev-seeded-latest.pgdata.tar.zst.sha256\n") != std::string::npos);
  CHECK(committed.find(".pgdata.tar.zst\n") == std::string::npos);
  fs::create_directories(remote);
  git(remote, {"init", "-q", "--bare"});
  git(origin, {"push", "-q", "file://" + remote.string(), "HEAD:main"});

  // The consumer: a fresh clone with only the links, its own store, the team's store as a file:// url.
  const fs::path clone = area.path() / "clone";
  git(area.path(), {"clone", "-q", "file://" + remote.string(), clone.string()});
  REQUIRE_FALSE(fs::exists(clone / "dumps" / "dev-seeded-latest.pgdata.tar.zst"));
  const fs::path local = area.path() / "consumer-store";
  const fs::path build = clone / "build";
  configured = run({"cmake", "-S", clone.string(), "-B", build.string(), "-DPGSEED_SHARING=externaldata",
                    "-DPGSEED_OBJECT_STORES=" + local.string(),
                    "-DPGSEED_URL_TEMPLATES=file://" + shared.string() + "/%(algo)/%(hash)"});
  INFO(configured.stdout_text + configured.stderr_text);
  REQUIRE(configured.ok());
  const auto fetched = run({"cmake", "--build", build.string(), "--target", "fetch-dumps"});
  INFO(fetched.stdout_text + fetched.stderr_text);
  REQUIRE(fetched.ok());
  const fs::path fetched_dump = build / "pgseed" / "dumps" / "dev-seeded-latest.dump";
  const fs::path fetched_physical = build / "pgseed" / "dumps" / "dev-seeded-latest.pgdata.tar.zst";
  REQUIRE(fs::exists(fetched_physical));
  CHECK(sha256_of(fetched_physical) == physical_hash);
  CHECK(sha256_of(fetched_dump) == hash);
  CHECK(sha256_of(object_in(local, physical_hash)) == physical_hash);

  const auto verified = run({"cmake", "--build", build.string(), "--target", "verify-dump"});
  INFO(verified.stdout_text + verified.stderr_text);
  REQUIRE(verified.ok());
  CHECK(verified.stdout_text.find("ok: " + fetched_physical.string()) != std::string::npos);
  // Without DUMP, a clone without a local dump verifies the store object the link names, and the
  // snapshot's object beside it in that store.
  const auto from_store = testing::run_pgseed({"verify", "-C", clone.string(), "--sharing", "externaldata",
                                               "--object-store", local.string()});
  INFO(from_store.err);
  CHECK(from_store.exit_code == 0);
  CHECK(from_store.out.find("ok: " + object_in(local, physical_hash).string()) != std::string::npos);

  // install-initdb puts both beside the init script, as regular files; the archive is the metadata's.
  const auto staged = run({"cmake", "--build", build.string(), "--target", "install-initdb"});
  INFO(staged.stdout_text + staged.stderr_text);
  REQUIRE(staged.ok());
  const fs::path initdb = build / "initdb" / "docker-entrypoint-initdb.d";
  CHECK(fs::is_regular_file(fs::symlink_status(initdb / "dev-seeded-latest.dump")));
  CHECK(sha256_of(initdb / "dev-seeded-latest.dump") == hash);
  REQUIRE(fs::is_regular_file(fs::symlink_status(initdb / "dev-seeded-latest.pgdata.tar.zst")));
  CHECK(sha256_of(initdb / "dev-seeded-latest.pgdata.tar.zst") == physical_checksum_of(initdb / "dev-seeded-latest.metadata.json"));
  CHECK(sha256_of(initdb / "dev-seeded-latest.pgdata.tar.zst") == physical_hash);

  // A corrupted snapshot object in the consumer's store is refused, the hint naming it.
  corrupt(object_in(local, physical_hash));
  const auto refused = run({"cmake", "--build", build.string(), "--target", "verify-dump"});
  const std::string said = refused.stdout_text + refused.stderr_text;
  {
    INFO(said);
    CHECK_FALSE(refused.ok());
    CHECK(said.find("physical snapshot " + fetched_physical.string() + " failed its checksum") != std::string::npos);
    CHECK(said.find("pgseed: hint: the object store holds a corrupted copy: delete " +
                    object_in(local, physical_hash).string()) != std::string::npos);
  }
  const auto direct = testing::run_pgseed({"verify", "-C", clone.string(), fetched_dump.string()});
  CHECK(direct.exit_code == 3);
  CHECK(direct.err.find("delete " + object_in(local, physical_hash).string()) != std::string::npos);
  const auto direct_from_store = testing::run_pgseed({"verify", "-C", clone.string(), "--sharing", "externaldata",
                                                      "--object-store", local.string()});
  CHECK(direct_from_store.exit_code == 3);
  CHECK(direct_from_store.err.find("delete " + object_in(local, physical_hash).string()) != std::string::npos);
  fs::remove(object_in(local, physical_hash));

  // The producer's next dump has no snapshot: after a pull, the clone neither fetches nor installs one.
  const auto plain = testing::run_pgseed({"dump", "-C", origin.string(), "--sharing", "externaldata",
                                          "--object-store", shared.string()});
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  REQUIRE_FALSE(fs::exists(origin / "dumps" / "dev-seeded-latest.pgdata.tar.zst.sha256"));
  git(origin, {"add", "-A", "dumps"});
  git(origin, {"commit", "-qm", "dev dump without a snapshot"});
  git(origin, {"push", "-q", "file://" + remote.string(), "HEAD:main"});
  git(clone, {"pull", "-q", "--ff-only"});
  const auto restaged = run({"cmake", "--build", build.string(), "--target", "install-initdb"});
  INFO(restaged.stdout_text + restaged.stderr_text);
  REQUIRE(restaged.ok());
  CHECK_FALSE(fs::exists(fs::symlink_status(fetched_physical)));
  CHECK_FALSE(fs::exists(initdb / "dev-seeded-latest.pgdata.tar.zst"));
  CHECK(sha256_of(initdb / "dev-seeded-latest.dump") ==
        testing::read_text(clone / "dumps" / "dev-seeded-latest.dump.sha256").substr(0, 64));
}
