// The inputs fingerprint that dump records and check compares: what it covers, what it ignores, and
// how it names differences. No server: the example app's files in a scratch copy.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/inputs.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/project.h"
#include "pgseed/core/seed/profile.h"
#include "pgseed/error.h"
#include "pgseed/util/sha256.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

core::Inputs inputs_of(const testing::ScratchProject& project, const core::seed::CountOverrides& counts = {},
                       const std::string& environment = "dev") {
  return core::compute_inputs(core::ProjectLayout::at(project.root()), environment, counts);
}

core::seed::CountOverrides exact(std::vector<std::pair<std::string, std::int64_t>> settings) {
  core::seed::CountOverrides counts;
  for (const auto& [table, count] : settings) counts.exact[table] = count;
  return counts;
}

// Sets an environment variable for one scope.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
};

}  // namespace

TEST_CASE("project_relative normalises the paths recorded in inputs", "[unit][inputs]") {
  struct Case {
    std::string root, file, expected;
  };
  const std::vector<Case> cases = {
      {"/p", "/p/seeds/dev.json", "seeds/dev.json"},
      {"/p", "/p/seeds/./reference/../reference/coins.csv", "seeds/reference/coins.csv"},
      {"/p/", "/p//seeds/sql/superuser.sql", "seeds/sql/superuser.sql"},
      {"/p/./x/..", "/p/seeds/a.csv", "seeds/a.csv"},
      {"/p", "/shared/data/names.txt", "../shared/data/names.txt"},
      {"/p", "/p/seeds/../../p/seeds/b.csv", "seeds/b.csv"},
  };
  for (const auto& item : cases) {
    CAPTURE(item.root, item.file);
    CHECK(core::project_relative(item.root, item.file) == item.expected);
  }
}

TEST_CASE("inputs cover migrations, the profile, its files and the counts of the example app", "[unit][inputs]") {
  testing::ScratchProject project;
  const auto inputs = inputs_of(project);
  const auto& parts = inputs.parts;
  CHECK(parts.data_format == core::seed_data_format_version);
  CHECK(parts.environment == "dev");
  CHECK(parts.migrations.size() == 6);
  REQUIRE(parts.migrations.count("0001_create_users.sql") == 1);
  CHECK(parts.migrations.at("0001_create_users.sql") ==
        util::sha256_hex(testing::read_text(project.root() / "migrations" / "0001_create_users.sql")));
  CHECK(parts.seed_profile == "seeds/dev.json");
  CHECK(parts.seed_profile_sha256 == util::sha256_hex(testing::read_text(project.root() / "seeds" / "dev.json")));
  CHECK(parts.seed_files.count("seeds/reference/coins.csv") == 1);
  CHECK(parts.seed_files.count("seeds/sql/superuser.sql") == 1);
  CHECK(parts.seed_set.at("users") == 10);
  CHECK(inputs.fingerprint.size() == 64);
  CHECK(inputs.fingerprint == core::fingerprint_of(parts));
  // Nothing changed: the same again.
  CHECK(inputs_of(project).fingerprint == inputs.fingerprint);
}

TEST_CASE("the seed set is normalised: order, --scale 1 and PGSEED_COUNT_ do not matter, counts do", "[unit][inputs]") {
  testing::ScratchProject project;
  const auto plain = inputs_of(project).fingerprint;
  const auto forward = inputs_of(project, exact({{"users", 5}, {"orders", 3}})).fingerprint;
  core::seed::CountOverrides backward;
  backward.exact.emplace("orders", 3);
  backward.exact.emplace("users", 5);
  CHECK(inputs_of(project, backward).fingerprint == forward);
  CHECK(forward != plain);

  core::seed::CountOverrides unit_scale;
  unit_scale.scale = 1.0;
  CHECK(inputs_of(project, unit_scale).fingerprint == plain);
  // The profile's own count given explicitly is the same seed set.
  CHECK(inputs_of(project, exact({{"users", 10}})).fingerprint == plain);
  {
    const ScopedEnv users("PGSEED_COUNT_USERS", "5");
    const ScopedEnv orders("PGSEED_COUNT_ORDERS", "3");
    CHECK(inputs_of(project).fingerprint == forward);
  }
  core::seed::CountOverrides doubled;
  doubled.scale = 2.0;
  const auto scaled = inputs_of(project, doubled);
  CHECK(scaled.fingerprint != plain);
  CHECK(scaled.parts.seed_set.at("users") == 20);
}

TEST_CASE("a profile path written another way records the same seed file", "[unit][inputs]") {
  testing::ScratchProject project;
  const fs::path profile = project.root() / "seeds" / "dev.json";
  auto document = nlohmann::json::parse(testing::read_text(profile));
  document["steps"][0]["csv"] = "./sql/../reference/coins.csv";
  testing::write_text(profile, document.dump(2));
  const auto parts = inputs_of(project).parts;
  CHECK(parts.seed_files.count("seeds/reference/coins.csv") == 1);
  CHECK(parts.seed_files.size() == 2);
}

TEST_CASE("plain SQL seeds record their files and no profile, and a bad --set is a usage error", "[unit][inputs]") {
  testing::ScratchProject project;
  project.write("seeds/qa/001_users.sql", "INSERT INTO users (email) VALUES ('a@example.com');\n");
  project.write("seeds/qa/notes.txt", "not a seed file\n");
  const auto parts = inputs_of(project, {}, "qa").parts;
  CHECK(parts.seed_profile.empty());
  CHECK(parts.seed_files.size() == 1);
  CHECK(parts.seed_files.count("seeds/qa/001_users.sql") == 1);
  CHECK(parts.seed_set.empty());

  try {
    inputs_of(project, exact({{"nonexistent", 1}}));
    FAIL("an unknown --set table was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
  }
}

TEST_CASE("every part changes the fingerprint and is named by input_differences", "[unit][inputs]") {
  core::InputParts base;
  base.environment = "dev";
  base.migrations = {{"0001_a.sql", std::string(64, 'a')}, {"0002_b.sql", std::string(64, 'b')}};
  base.seed_profile = "seeds/dev.json";
  base.seed_profile_sha256 = std::string(64, 'c');
  base.seed_files = {{"seeds/data/names.txt", std::string(64, 'd')}};
  base.seed_set = {{"users", 10}, {"orders", 5}};

  struct Case {
    const char* what;
    std::function<void(core::InputParts&)> change;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"new migration", [](auto& p) { p.migrations["0007_add_x.sql"] = std::string(64, 'e'); },
       {"migration 0007_add_x.sql is not in the dump"}},
      {"changed migration", [](auto& p) { p.migrations["0002_b.sql"] = std::string(64, 'f'); },
       {"migration 0002_b.sql changed"}},
      {"removed migration", [](auto& p) { p.migrations.erase("0001_a.sql"); },
       {"migration 0001_a.sql is in the dump but not in the project"}},
      {"profile", [](auto& p) { p.seed_profile_sha256 = std::string(64, '0'); }, {"seeds/dev.json changed"}},
      {"no profile", [](auto& p) { p.seed_profile.clear(); p.seed_profile_sha256.clear(); },
       {"seed profile seeds/dev.json is in the dump but not in the project"}},
      {"seed file", [](auto& p) { p.seed_files["seeds/data/names.txt"] = std::string(64, '1'); },
       {"seed file seeds/data/names.txt changed"}},
      {"new seed file", [](auto& p) { p.seed_files["seeds/data/more.csv"] = std::string(64, '2'); },
       {"seed file seeds/data/more.csv is not in the dump"}},
      {"count", [](auto& p) { p.seed_set["users"] = 20; }, {"seed set differs: users=20 (dump: users=10)"}},
      {"new table", [](auto& p) { p.seed_set["notes"] = 3; }, {"seed set differs: notes=3 (dump: no notes)"}},
      {"data format", [](auto& p) { p.data_format = 2; }, {"pgseed data format 2 (dump: 1)"}},
      {"environment", [](auto& p) { p.environment = "staging"; }, {"environment staging (dump: dev)"}},
      {"two at once",
       [](auto& p) {
         p.migrations["0003_c.sql"] = std::string(64, '3');
         p.seed_set["orders"] = 7;
       },
       {"migration 0003_c.sql is not in the dump", "seed set differs: orders=7 (dump: orders=5)"}},
  };
  const std::string base_fingerprint = core::fingerprint_of(base);
  CHECK(core::input_differences(base, base).empty());
  for (const auto& item : cases) {
    CAPTURE(item.what);
    core::InputParts project = base;
    item.change(project);
    CHECK(core::fingerprint_of(project) != base_fingerprint);
    CHECK(core::input_differences(project, base) == item.expected);
  }
}

TEST_CASE("inputs round-trip through the metadata, old metadata has none, a broken field is invalid", "[unit][inputs][metadata]") {
  testing::ScratchProject project;
  core::DumpMetadata metadata;
  metadata.environment = "dev";
  metadata.timestamp = "2026-11-21T06:45:32Z";
  metadata.file = "dev-seeded-vunknown-20261121T064532Z-abcdef.dump";
  metadata.checksum = std::string(64, 'a');
  metadata.pg_dump_major = 15;
  metadata.inputs = inputs_of(project, exact({{"users", 3}}));

  const auto text = metadata.to_json();
  const auto read = core::DumpMetadata::from_json(text);
  REQUIRE(read.inputs);
  CHECK(read.inputs->fingerprint == metadata.inputs->fingerprint);
  CHECK(core::fingerprint_of(read.inputs->parts) == metadata.inputs->fingerprint);
  CHECK(core::input_differences(read.inputs->parts, metadata.inputs->parts).empty());
  CHECK(read.inputs->parts.seed_set.at("users") == 3);

  auto document = nlohmann::json::parse(text);
  document.erase("inputs");
  CHECK_FALSE(core::DumpMetadata::from_json(document.dump()).inputs);

  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> broken = {
      {"inputs.fingerprint", [](auto& d) { d["inputs"]["fingerprint"] = "abc"; }},
      {"inputs.parts", [](auto& d) { d["inputs"].erase("parts"); }},
      {"inputs.parts.migrations", [](auto& d) { d["inputs"]["parts"]["migrations"] = nlohmann::json::array(); }},
      {"inputs.parts.seedSet.users", [](auto& d) { d["inputs"]["parts"]["seedSet"]["users"] = "ten"; }},
      {"inputs.parts.dataFormat", [](auto& d) { d["inputs"]["parts"]["dataFormat"] = "1"; }},
  };
  for (const auto& [field, breakage] : broken) {
    CAPTURE(field);
    auto damaged = nlohmann::json::parse(text);
    breakage(damaged);
    try {
      core::DumpMetadata::from_json(damaged.dump());
      FAIL("accepted");
    } catch (const core::MetadataError& e) {
      CHECK(std::string(e.what()).find(field) != std::string::npos);
    }
  }
}
