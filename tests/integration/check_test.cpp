// pgseed check, the stale-dump gate, against a real dump of the example app: fresh right after the
// dump, and stale, naming the difference, after each kind of change to the project. Also status,
// and the CTest test and target of the CMake module.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inputs.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/seed/profile.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>

using namespace pgseed;
using testing::run_pgseed;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int stale_code = 6;

// One real dump of the unchanged example app per test process (through the test server); every case
// starts from a copy of it.

const testing::DumpedProject& dumped() {
  static const auto instance = std::make_unique<testing::DumpedProject>("check");
  return *instance;
}

// The example app as dumped (a fresh copy of its files) with a copy of the dump directory, links kept.
std::unique_ptr<testing::ScratchProject> copy_of_dumped() {
  auto copy = std::make_unique<testing::ScratchProject>();
  fs::copy(dumped().project.dumps(), copy->dumps(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return copy;
}

testing::PgseedRun check(const testing::ScratchProject& project, std::vector<std::string> extra = {}) {
  std::vector<std::string> arguments = {"check", "-C", project.root().string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return run_pgseed(arguments);
}

fs::path latest_metadata(const testing::ScratchProject& project) {
  return fs::canonical(project.dumps() / "dev-seeded-latest.metadata.json");
}

void append(const fs::path& file, const std::string& text) { testing::write_text(file, testing::read_text(file) + text); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

TEST_CASE("check: a dump records its inputs and is fresh right after it is made", "[integration][check]") {
  const auto& project = dumped().project;
  const auto metadata = core::read_metadata(latest_metadata(project));
  REQUIRE(metadata.inputs);
  const auto now = core::compute_inputs(core::ProjectLayout::at(project.root()), "dev", {});
  CHECK(metadata.inputs->fingerprint == now.fingerprint);
  CHECK(metadata.inputs->parts.migrations.size() == 6);
  CHECK(metadata.inputs->parts.seed_profile == "seeds/dev.json");
  CHECK(metadata.inputs->parts.seed_set.at("users") == 10);
  // The migrations fingerprint stays as it was, beside the new field.
  CHECK(metadata.migrations_fingerprint.size() == 64);

  const auto run = check(project);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out == "fresh: " + metadata.file + " matches the project (inputs " + now.fingerprint.substr(0, 12) + ")\n");
  CHECK(run.err.find("error") == std::string::npos);
  // The same set given explicitly, or with --scale 1, is the same seed set.
  CHECK(check(project, {"--set", "users=10", "--scale", "1"}).exit_code == 0);
}

TEST_CASE("check: each change to the project makes the dump stale, naming the change", "[integration][check]") {
  struct Case {
    const char* what;
    std::function<void(const testing::ScratchProject&)> change;
    std::vector<std::string> arguments;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"a new migration",
       [](const auto& p) { p.write("migrations/0007_add_x.sql", "CREATE TABLE x (id int);\n"); },
       {},
       {"migration 0007_add_x.sql is not in the dump"}},
      {"an edited migration",
       [](const auto& p) { append(p.root() / "migrations" / "0003_create_positions_orders.sql", "\n-- edited\n"); },
       {},
       {"migration 0003_create_positions_orders.sql changed"}},
      {"a removed migration", [](const auto& p) { fs::remove(p.root() / "migrations" / "0006_create_coins.sql"); },
       {},
       {"migration 0006_create_coins.sql is in the dump but not in the project"}},
      {"an edited profile",
       [](const auto& p) {
         auto profile = json::parse(testing::read_text(p.root() / "seeds" / "dev.json"));
         profile["description"] = "edited";
         p.write("seeds/dev.json", profile.dump(2));
       },
       {},
       {"seeds/dev.json changed"}},
      {"an edited seed file", [](const auto& p) { append(p.root() / "seeds" / "reference" / "coins.csv", "\n"); },
       {},
       {"seed file seeds/reference/coins.csv changed"}},
      {"another --set", [](const auto&) {}, {"--set", "users=20"}, {"seed set differs: users=20 (dump: users=10)"}},
      {"old metadata without inputs",
       [](const auto& p) {
         auto metadata = json::parse(testing::read_text(latest_metadata(p)));
         metadata.erase("inputs");
         testing::write_text(latest_metadata(p), metadata.dump(2));
       },
       {},
       {"dump has no inputs fingerprint (written by an older pgseed)"}},
      {"two changes at once",
       [](const auto& p) {
         p.write("migrations/0010_add_y.sql", "CREATE TABLE y (id int);\n");
         append(p.root() / "seeds" / "sql" / "superuser.sql", "\n-- edited\n");
       },
       {"--set", "orders=3"},
       {"migration 0010_add_y.sql is not in the dump", "seed file seeds/sql/superuser.sql changed",
        "seed set differs: orders=3 (dump: orders=50)"}},
  };
  const std::string file = core::read_metadata(latest_metadata(dumped().project)).file;
  for (const auto& item : cases) {
    CAPTURE(item.what);
    const auto project = copy_of_dumped();
    item.change(*project);
    const auto run = check(*project, item.arguments);
    INFO(run.out << run.err);
    CHECK(run.exit_code == stale_code);
    CHECK(lines_of(run.out) == item.expected);
    const auto count = item.expected.size();
    CHECK(run.err.find("pgseed: error: the latest dev dump " + file + " is stale: " + std::to_string(count) +
                       (count == 1 ? " difference" : " differences")) != std::string::npos);
    CHECK(run.err.find("pgseed: hint: regenerate it: pgseed dump (the generate-dump target)") != std::string::npos);
  }
}

TEST_CASE("check: no dump is the stale code with a hint, and unreadable metadata is a refused dump", "[integration][check]") {
  testing::ScratchProject project;
  const auto none = check(project);
  INFO(none.out << none.err);
  CHECK(none.exit_code == stale_code);
  CHECK(none.err.find("pgseed: error: no dev dump in " + project.dumps().string() +
                      " (dev-seeded-latest.metadata.json does not exist)") != std::string::npos);
  CHECK(none.err.find("pgseed: hint: run pgseed dump (the generate-dump target)") != std::string::npos);

  const auto copy = copy_of_dumped();
  testing::write_text(latest_metadata(*copy), "{ not json");
  const auto broken = check(*copy);
  INFO(broken.err);
  CHECK(broken.exit_code == 3);
  CHECK(broken.err.find("is invalid") != std::string::npos);
}

TEST_CASE("check: metadata that is a Git LFS pointer is named as such, not as broken JSON", "[integration][check]") {
  // A consumer whose .gitattributes sends all of dumps/ to LFS, cloned without LFS content: the
  // fix is git lfs pull (and the attributes), not a new dump.
  const auto copy = copy_of_dumped();
  testing::write_text(latest_metadata(*copy),
                      "version https://git-lfs.github.com/spec/v1\n"
                      "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 2517\n");
  const auto pointer = check(*copy);
  INFO(pointer.err);
  CHECK(pointer.exit_code == 3);
  CHECK(pointer.err.find("is a Git LFS pointer") != std::string::npos);
  CHECK(pointer.err.find("git lfs pull") != std::string::npos);
  CHECK(pointer.err.find("JSON") == std::string::npos);
}

TEST_CASE("check --json: fresh, differences, the dump and both fingerprints", "[integration][check]") {
  const auto& project = dumped().project;
  const auto metadata = core::read_metadata(latest_metadata(project));

  const auto fresh_run = check(project, {"--json"});
  INFO(fresh_run.out << fresh_run.err);
  REQUIRE(fresh_run.exit_code == 0);
  const auto fresh = json::parse(fresh_run.out);
  CHECK(fresh["fresh"] == true);
  CHECK(fresh["environment"] == "dev");
  CHECK(fresh["differences"] == json::array());
  CHECK(fresh["dump"] == (project.dumps() / metadata.file).string());
  CHECK(fresh["metadata"] == (project.dumps() / "dev-seeded-latest.metadata.json").string());
  CHECK(fresh["dumpTimestamp"] == metadata.timestamp);
  CHECK(fresh["fingerprints"]["project"] == metadata.inputs->fingerprint);
  CHECK(fresh["fingerprints"]["dump"] == metadata.inputs->fingerprint);
  CHECK(fresh["dataFormat"] == core::seed_data_format_version);

  const auto copy = copy_of_dumped();
  copy->write("migrations/0007_add_x.sql", "CREATE TABLE x (id int);\n");
  const auto stale_run = check(*copy, {"--json"});
  INFO(stale_run.out << stale_run.err);
  CHECK(stale_run.exit_code == stale_code);
  const auto stale = json::parse(stale_run.out);
  CHECK(stale["fresh"] == false);
  CHECK(stale["differences"] == json::array({"migration 0007_add_x.sql is not in the dump"}));
  CHECK(stale["fingerprints"]["dump"] == metadata.inputs->fingerprint);
  CHECK(stale["fingerprints"]["project"] != metadata.inputs->fingerprint);

  testing::ScratchProject empty;
  const auto none_run = check(empty, {"--json"});
  CHECK(none_run.exit_code == stale_code);
  const auto none = json::parse(none_run.out);
  CHECK(none["fresh"] == false);
  CHECK(none["dump"].is_null());
  CHECK(none["fingerprints"]["dump"].is_null());
  REQUIRE(none["differences"].size() == 1);
  CHECK(none["differences"][0].get<std::string>().rfind("no dev dump in ", 0) == 0);
}

TEST_CASE("status says whether the latest dump is fresh, as check does", "[integration][check][status]") {
  const auto& source = dumped();
  const std::string url = source.source.keyword_string();
  const auto fresh_run = run_pgseed({"status", "--json", "-C", source.project.root().string(), "--database-url", url});
  INFO(fresh_run.err);
  REQUIRE(fresh_run.exit_code == 0);
  const auto fresh = json::parse(fresh_run.out);
  CHECK(fresh["dump"]["found"] == true);
  CHECK(fresh["dump"]["fresh"] == true);
  CHECK(fresh["dump"]["differences"] == json::array());
  const auto human = run_pgseed({"status", "-C", source.project.root().string(), "--database-url", url});
  CHECK(human.out.find("\ndump        fresh (" + fresh["dump"]["file"].get<std::string>() + ")\n") != std::string::npos);

  const auto copy = copy_of_dumped();
  copy->write("migrations/0007_add_x.sql", "CREATE TABLE x (id int);\n");
  const auto stale = json::parse(run_pgseed({"status", "--json", "-C", copy->root().string(), "--database-url", url}).out);
  CHECK(stale["dump"]["fresh"] == false);
  CHECK(stale["dump"]["differences"] == json::array({"migration 0007_add_x.sql is not in the dump"}));
  const auto stale_human = run_pgseed({"status", "-C", copy->root().string(), "--database-url", url});
  INFO(stale_human.out);
  CHECK(stale_human.exit_code == 0);  // status describes; only check is the gate
  CHECK(stale_human.out.find("\ndump        stale (1 difference): ") != std::string::npos);
  CHECK(stale_human.out.find("\n  migration 0007_add_x.sql is not in the dump\n") != std::string::npos);
  // The same --set as the dump: status takes it too.
  const auto other_set = json::parse(
      run_pgseed({"status", "--json", "-C", source.project.root().string(), "--database-url", url, "--set", "users=3"}).out);
  CHECK(other_set["dump"]["differences"] == json::array({"seed set differs: users=3 (dump: users=10)"}));
}

namespace {
util::CommandResult tool(const std::string& program, std::vector<std::string> arguments) {
  util::Command command;
  command.argv = {program};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.env["DATABASE_URL"] = std::nullopt;
  return util::run_command(command);
}
}  // namespace

TEST_CASE("the CMake module's check-dump target and pgseed_add_dump_check test pass on fresh, fail on stale",
          "[integration][check][cmake]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("check_cmake");
  project.write("consumer/CMakeLists.txt",
                "cmake_minimum_required(VERSION 3.25)\n"
                "project(consumer LANGUAGES NONE)\n"
                "enable_testing()\n"
                "include(\"" PGSEED_SOURCE_DIR "/cmake/pgseed.cmake\")\n"
                "pgseed_add_database_targets(PGSEED_EXECUTABLE \"" PGSEED_BINARY "\" PROJECT_DIR \"" +
                    project.root().string() + "\")\n"
                    "pgseed_add_dump_check(NAME dump-is-fresh PGSEED_EXECUTABLE \"" PGSEED_BINARY "\" PROJECT_DIR \"" +
                    project.root().string() + "\")\n");
  const fs::path build = project.root() / "consumer" / "build";
  // A seed set of its own: the check must compare with the counts the dump was made with.
  const auto configure = tool("cmake", {"-S", (project.root() / "consumer").string(), "-B", build.string(),
                                        "-DPGSEED_DATABASE_URL=" + database.keyword_string(),
                                        "-DPGSEED_DUMP_DIR=" + project.dumps().string(), "-DPGSEED_SEED_SET=users=6;orders=7"});
  INFO(configure.stdout_text + configure.stderr_text);
  REQUIRE(configure.ok());

  auto ctest = [&] { return tool("ctest", {"--test-dir", build.string(), "-R", "^dump-is-fresh$", "--output-on-failure"}); };
  auto check_target = [&] { return tool("cmake", {"--build", build.string(), "--target", "check-dump"}); };

  // No dump yet: both fail.
  CHECK_FALSE(ctest().ok());
  CHECK_FALSE(check_target().ok());

  const auto generated = tool("cmake", {"--build", build.string(), "--target", "generate-dump"});
  INFO(generated.stdout_text + generated.stderr_text);
  REQUIRE(generated.ok());
  const auto fresh_test = ctest();
  INFO(fresh_test.stdout_text + fresh_test.stderr_text);
  CHECK(fresh_test.ok());
  CHECK(fresh_test.stdout_text.find("100% tests passed") != std::string::npos);
  const auto fresh_target = check_target();
  INFO(fresh_target.stdout_text + fresh_target.stderr_text);
  CHECK(fresh_target.ok());

  project.write("migrations/0007_add_x.sql", "CREATE TABLE x (id int);\n");
  const auto stale_test = ctest();
  INFO(stale_test.stdout_text + stale_test.stderr_text);
  CHECK_FALSE(stale_test.ok());
  CHECK(stale_test.stdout_text.find("migration 0007_add_x.sql is not in the dump") != std::string::npos);
  const auto stale_target = check_target();
  CHECK_FALSE(stale_target.ok());
  CHECK((stale_target.stdout_text + stale_target.stderr_text).find("migration 0007_add_x.sql is not in the dump") !=
        std::string::npos);
}
