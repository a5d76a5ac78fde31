// Checks before work, and the questions asked before replacing or clearing a database.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/commands/settings.h"
#include "pgseed/error.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/util/fs.h"

#include <cstdlib>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {
std::optional<Error> error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("a missing or non-directory project directory is a usage error", "[unit][settings]") {
  util::TemporaryDirectory directory("pgseed-settings-");
  commands::Settings settings;
  settings.project_directory = directory.path();
  CHECK(!error_of([&] { commands::check_project_directory(settings); }));
  settings.project_directory = directory.path() / "nope";
  auto error = error_of([&] { commands::check_project_directory(settings); });
  REQUIRE(error);
  CHECK(error->code() == ExitCode::usage);
  CHECK(std::string(error->what()) == "project directory " + settings.project_directory.string() + " does not exist");
  testing::write_text(directory.path() / "file", "x");
  settings.project_directory = directory.path() / "file";
  error = error_of([&] { commands::check_project_directory(settings); });
  REQUIRE(error);
  CHECK(std::string(error->what()).find("is not a directory") != std::string::npos);
}

TEST_CASE("the dump directory is checked by creating and writing, and no probe file is left", "[unit][settings]") {
  util::TemporaryDirectory directory("pgseed-settings-");
  // Not there yet but creatable: fine. The directory stays (the dump goes there, and a concurrent run
  // may already be using it); the probe file does not.
  CHECK(!error_of([&] { commands::check_dump_directory(directory.path() / "a" / "b"); }));
  CHECK(fs::is_directory(directory.path() / "a" / "b"));
  CHECK(fs::is_empty(directory.path() / "a" / "b"));
  fs::remove_all(directory.path() / "a");
  // There: fine, and no probe file is left in it.
  CHECK(!error_of([&] { commands::check_dump_directory(directory.path()); }));
  CHECK(fs::is_empty(directory.path()));

  struct Case {
    fs::path path;
    const char* message;
  };
  testing::write_text(directory.path() / "file", "x");
  const std::vector<Case> cases = {
      {"/proc/nope", "cannot be created"},  // root passes every permission check there; creating it fails
      {"/proc/nope/dumps", "cannot be created"},
      {directory.path() / "file", "is not a directory"},
      {directory.path() / "file" / "dumps", "cannot be created"},
      {"/proc/self", "is not writable"},
  };
  for (const auto& test : cases) {
    INFO(test.path);
    const auto error = error_of([&] { commands::check_dump_directory(test.path); });
    REQUIRE(error);
    CHECK(error->code() == ExitCode::usage);
    CHECK(std::string(error->what()).find(test.message) != std::string::npos);
    CHECK(std::string(error->what()).find(test.path.string()) != std::string::npos);
    CHECK(!error->hint().empty());
  }
}

TEST_CASE("the server is named the way the user would recognise it", "[unit][settings]") {
  ::unsetenv("PGHOST");
  ::unsetenv("PGPORT");
  CHECK(commands::describe_server(pg::ConnInfo::parse("postgresql://app@db.example.com:5433/appdb")) ==
        "db.example.com:5433");
  CHECK(commands::describe_server(pg::ConnInfo::parse("postgresql://app@db.example.com/appdb")) ==
        "db.example.com:5432");
  CHECK(commands::describe_server(pg::ConnInfo::parse("host=/tmp/pgseed-x port=6000 dbname=appdb")) ==
        "socket /tmp/pgseed-x (port 6000)");
  CHECK(commands::describe_server(pg::ConnInfo::parse("dbname=appdb")) == "the default local socket (port 5432)");
  ::setenv("PGHOST", "envhost", 1);
  CHECK(commands::describe_server(pg::ConnInfo::parse("dbname=appdb")) == "envhost:5432");
  ::unsetenv("PGHOST");
}

TEST_CASE("the restore question names server, database, dump, version and time", "[unit][settings]") {
  core::VerifyResult dump;
  dump.resolved_path = "/p/dumps/dev-seeded-v1a2b3c4-20261121T064532Z.dump";
  core::DumpMetadata metadata;
  metadata.pg_dump_major = 15;  // as pg_dump 15 writes it
  metadata.version = "1a2b3c4d5e6f77889900aabbccddeeff00112233";
  metadata.timestamp = "2026-11-21T06:45:32Z";
  dump.metadata = metadata;
  const auto target = pg::ConnInfo::parse("postgresql://app:s3cret@db.example.com:5433/appdb");
  const std::string question = commands::restore_question(target, dump);
  CHECK(question ==
        "Replace database appdb on db.example.com:5433 with dev-seeded-v1a2b3c4-20261121T064532Z.dump "
        "(version 1a2b3c4, dumped 2026-11-21T06:45:32Z)?");
  CHECK(question.find("s3cret") == std::string::npos);
  metadata.dirty = true;
  dump.metadata = metadata;
  CHECK(commands::restore_question(target, dump).find("(version 1a2b3c4+dirty,") != std::string::npos);
  CHECK(commands::clear_question(target, "public.users") ==
        "Empty public.users (and tables that reference them) in database appdb on db.example.com:5433 and seed again?");
}
