// The command line as a person meets it: checks before work, exit codes, questions on a terminal
// (through script(1), which gives pgseed a real pty), progress only where someone can see it.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/subprocess.h"

#include <chrono>
#include <fstream>
#include <sstream>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

// A file with metadata made for it: verify and the checks before a restore cannot tell it from a
// pg_dump, and nothing here gets as far as a server.
struct FakeDump {
  util::TemporaryDirectory directory{"pgseed-cli-"};
  fs::path dump = directory.path() / "dev-seeded-v1a2b3c4-20261121T064532Z.dump";

  explicit FakeDump(std::size_t size = 100000) {
    {
      std::ofstream out(dump, std::ios::binary);
      std::string block(1 << 20, 'x');
      for (std::size_t written = 0; written < size; written += block.size()) {
        out.write(block.data(), static_cast<std::streamsize>(std::min(block.size(), size - written)));
      }
    }
    core::DumpMetadata record;
    record.pg_dump_major = 15;  // as pg_dump 15 writes it
    record.environment = "dev";
    record.version = "1a2b3c4d5e6f77889900aabbccddeeff00112233";
    record.timestamp = "2026-11-21T06:45:32Z";
    record.file = dump.filename().string();
    record.size_bytes = fs::file_size(dump);
    record.checksum = util::sha256_file(dump).sha256;
    record.record_counts = {{"public.users", 3}};
    core::write_metadata(core::metadata_path_for(dump), record);
  }
};



}  // namespace

TEST_CASE("pgseed alone prints the help to stderr and exits 2, --help to stdout with 0", "[integration][cli]") {
  const auto bare = run_pgseed({});
  CHECK(bare.exit_code == 2);
  CHECK(bare.out.empty());
  CHECK(bare.err.find("usage: pgseed <command>") != std::string::npos);
  const auto help = run_pgseed({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage: pgseed <command>") != std::string::npos);
}

TEST_CASE("a missing -C directory is exit 2 for every command, before any work", "[integration][cli]") {
  util::TemporaryDirectory directory("pgseed-cli-");
  const std::string missing = (directory.path() / "no-project").string();
  const std::vector<std::vector<std::string>> command_lines = {
      {"migrate", "-C", missing},
      {"seed", "-C", missing},
      {"seed", "-C", missing, "--dry-run"},
      {"dump", "-C", missing},
      {"restore", "-C", missing, "--yes"},
      {"restore", "-C", missing, "--yes", (directory.path() / "x.dump").string()},
      {"verify", "-C", missing},
      {"verify", "-C", missing, (directory.path() / "x.dump").string()},
      {"up", "-C", missing},
      {"down", "-C", missing},
      {"status", "-C", missing},
      {"protect", "-C", missing},
      {"snapshot", "-C", missing},
      {"reset", "-C", missing, "--yes"},
      {"list", "-C", missing},
      {"prune", "-C", missing, "--keep", "1"},
      {"clean", "-C", missing},
  };
  for (const auto& arguments : command_lines) {
    INFO(arguments[0] << " " << arguments.back());
    const auto run = run_pgseed(arguments);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("pgseed: error: project directory " + missing + " does not exist") != std::string::npos);
    CHECK(run.err.find("pgseed: hint: ") != std::string::npos);
    CHECK(run.err.find("embedded") == std::string::npos);  // no cluster was started first
    CHECK(run.err.find("local server") == std::string::npos);
  }
}

TEST_CASE("a dump directory that cannot be created is exit 2 before any cluster, migrate or seed",
          "[integration][cli]") {
  testing::ScratchProject project;
  const auto started = std::chrono::steady_clock::now();
  const auto run = run_pgseed({"dump", "-C", project.root().string(), "--dump-dir", "/proc/nope"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("pgseed: error: dump directory /proc/nope cannot be created: no such file or directory") !=
        std::string::npos);
  CHECK(run.err.find("pgseed: hint: --dump-dir") != std::string::npos);
  CHECK(run.err.find("filesystem error") == std::string::npos);
  CHECK(run.err.find("embedded") == std::string::npos);
  CHECK(seconds < 5);
  // A dump directory that does not exist yet is fine: it is only created, not refused.
}

TEST_CASE("a file name with control characters is shown escaped, never sent to the terminal", "[integration][cli]") {
  util::TemporaryDirectory directory("pgseed-cli-");
  const fs::path evil = directory.path() / "evil\x1b]0;owned\x07\nname.dump";
  std::ofstream(evil) << "not a dump";
  const auto run = run_pgseed({"verify", evil.string()});
  CHECK(run.exit_code == 3);
  CHECK(run.err.find('\x1b') == std::string::npos);
  CHECK(run.err.find('\x07') == std::string::npos);
  CHECK(run.err.find("evil\\x1b]0;owned\\x07\\x0aname.dump") != std::string::npos);
  // One line per message: the error and its hint, nothing split by the newline in the name.
  std::istringstream lines(run.err);
  for (std::string line; std::getline(lines, line);) CHECK(line.rfind("pgseed: ", 0) == 0);
}

TEST_CASE("an unreadable dump, a directory and a dangling link are exit 3 with the reason", "[integration][cli]") {
  FakeDump fake;
  // Tests run as root, which reads anything; the one reader that must fail is another account.
  const auto nobody = util::find_user("nobody");
  REQUIRE(nobody);
  fs::permissions(fake.directory.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                             fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(fake.dump, fs::perms::owner_read | fs::perms::owner_write);
  util::Command command;
  command.argv = {PGSEED_BINARY, "verify", fake.dump.string()};
  command.run_as = nobody;
  command.working_directory = "/";
  const auto unreadable = util::run_command(command);
  CHECK(unreadable.exit_code == 3);
  CHECK(unreadable.stderr_text.find("pgseed: error: dump " + fake.dump.string() +
                                    " cannot be read: permission denied") != std::string::npos);
  CHECK(unreadable.stderr_text.find("filesystem error") == std::string::npos);

  const auto directory = run_pgseed({"verify", fake.directory.path().string()});
  CHECK(directory.exit_code == 3);
  CHECK(directory.err.find("is a directory, not a dump file") != std::string::npos);

  const fs::path link = core::latest_dump_path(fake.directory.path(), "dev");
  fs::create_symlink("dev-seeded-vgone000-20260101T000000Z.dump", link);
  const auto dangling = run_pgseed({"verify", "--json", "--dump-dir", fake.directory.path().string()});
  CHECK(dangling.exit_code == 3);
  CHECK(dangling.out.find("\"status\": \"dangling-link\"") != std::string::npos);
  const auto restore = run_pgseed({"restore", "--yes", "--dump-dir", fake.directory.path().string()},
                                  {{"DATABASE_URL", "postgresql://nobody@127.0.0.1:1/never"}});
  CHECK(restore.exit_code == 3);
  CHECK(restore.err.find("is a link to dev-seeded-vgone000-20260101T000000Z.dump, which does not exist") !=
        std::string::npos);
}

TEST_CASE("answering no is a cancellation: named server and dump, no error line, exit 5", "[integration][cli]") {
  FakeDump fake;
  // A real database: the guards read its protection mark before the question is asked. The password
  // in the URL (ignored by the test server's trust authentication) must not show anywhere.
  const auto target = testing::fresh_database("cancel");
  const std::string port = testing::test_server().tcp_connection().get("port").value_or("");
  const std::string url = "postgresql://postgres:s3cret@127.0.0.1:" + port + "/" + target.database();
  const std::string server = target.database() + " on 127.0.0.1:" + port;
  const std::map<std::string, std::optional<std::string>> env = {{"DATABASE_URL", url}};
  const auto run = testing::run_pgseed_on_terminal({"restore", fake.dump.string()}, "n\n", env);
  INFO(run.out);
  CHECK(run.exit_code == 5);
  CHECK(run.out.find("Replace database " + server + " with " + fake.dump.filename().string() +
                             " (version 1a2b3c4, dumped 2026-11-21T06:45:32Z)? [y/N]") != std::string::npos);
  CHECK(run.out.find("pgseed: cancelled, nothing changed") != std::string::npos);
  CHECK(run.out.find("error") == std::string::npos);
  CHECK(run.out.find("s3cret") == std::string::npos);

  testing::ScratchProject project;
  const auto clear = testing::run_pgseed_on_terminal({"seed", "-C", project.root().string(), "--clear"}, "n\n", env);
  INFO(clear.out);
  CHECK(clear.exit_code == 5);
  CHECK(clear.out.find("in database " + server + " and seed again? [y/N]") != std::string::npos);
  CHECK(clear.out.find("pgseed: cancelled, nothing changed") != std::string::npos);
  CHECK(clear.out.find("error") == std::string::npos);

  // Without a terminal nobody can answer: that stays a refusal with an error line and a hint.
  const auto unattended = run_pgseed({"restore", fake.dump.string()}, env);
  CHECK(unattended.exit_code == 5);
  CHECK(unattended.err.find("pgseed: error: database " + target.database() + " was not changed: nobody confirmed") !=
        std::string::npos);
  CHECK(unattended.err.find(server) != std::string::npos);
  CHECK(unattended.err.find("pgseed: hint: pass --yes") != std::string::npos);
}

TEST_CASE("progress shows on a terminal only, in MiB, with a total time", "[integration][cli]") {
  FakeDump fake(65u << 20);  // sha256 reports every 64 MiB
  const auto piped = run_pgseed({"verify", fake.dump.string()});
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.find("verifying") == std::string::npos);
  CHECK(piped.err.find('\r') == std::string::npos);
  CHECK(piped.err.find("pgseed: verify finished in ") != std::string::npos);

  const auto terminal = testing::run_pgseed_on_terminal({"verify", fake.dump.string()}, "");
  INFO(terminal.out);
  CHECK(terminal.exit_code == 0);
  CHECK(terminal.out.find("pgseed: verifying 98% (64.0 MiB of 65.0 MiB") != std::string::npos);
  CHECK(terminal.out.find("pgseed: verify finished in ") != std::string::npos);

  const auto quiet = testing::run_pgseed_on_terminal({"verify", "--quiet", fake.dump.string()}, "");
  CHECK(quiet.out.find("verifying") == std::string::npos);
  CHECK(quiet.out.find("finished in") == std::string::npos);
}
