// pgseed list: real dumps, a snapshot pair, broken files; no server involved.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {


// Two real dev dumps of one project (the second is latest), and a real partial snapshot of the
// database the first came from.
struct Listed {
  testing::ScratchProject project;
  fs::path first, second;
  fs::path snapshots = project.root() / ".pgseed" / "snapshots";
  Listed() {
    std::time_t last = 0;
    pg::ConnInfo first_source;
    for (fs::path* dump : {&first, &second}) {
      testing::wait_for_next_second(last);
      const auto source = testing::fresh_database("list");
      if (dump == &first) first_source = source;
      const auto run = run_pgseed({"dump", "-C", project.root().string(), "--database-url", source.keyword_string()});
      REQUIRE(run.exit_code == 0);
      last = std::time(nullptr);
      *dump = testing::latest_real_dump(project.dumps());
    }
    REQUIRE(first != second);
    const auto snapshot = run_pgseed({"snapshot", "before-change", "-m", "before the risky change", "-t",
                                      "public.users", "-C", project.root().string(), "--database-url",
                                      first_source.keyword_string()});
    INFO(snapshot.err);
    REQUIRE(snapshot.exit_code == 0);
    REQUIRE(fs::exists(snapshots / "before-change.dump"));
  }
  std::vector<std::string> list(std::vector<std::string> extra = {}) const {
    std::vector<std::string> arguments = {"list", "-C", project.root().string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string line_with(const std::string& text, const std::string& needle) {
  for (const auto& line : lines_of(text)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

// The STATUS column of the line naming `needle` (columns are aligned under the header).
std::string status_of(const std::string& text, const std::string& needle) {
  const std::string line = line_with(text, needle);
  const auto at = lines_of(text).at(0).find("STATUS");
  if (line.size() <= at) return "";
  return line.substr(at, line.find(' ', at) - at);
}

// Same size, one byte different: only re-hashing can tell.
void flip_last_byte(const fs::path& path) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(-1, std::ios::end);
  char byte = 0;
  file.get(byte);
  file.seekp(-1, std::ios::end);
  file.put(static_cast<char>(byte ^ 0x5a));
}

}  // namespace

TEST_CASE("list shows dumps per environment with latest marked, and snapshots, with no server", "[integration][list]") {
  Listed listed;
  // An unreachable DATABASE_URL proves that list never connects to anything.
  const auto run = run_pgseed(listed.list(), {{"DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"}});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find("acting on") == std::string::npos);
  const auto header = lines_of(run.out).at(0);
  for (const char* column :
       {"NAME", "KIND", "ENV/DATABASE", "CREATED", "AGE", "SIZE", "ROWS", "COMMIT", "STATUS", "NOTE"}) {
    CHECK(header.find(column) != std::string::npos);
  }
  const auto metadata = core::read_metadata(core::metadata_path_for(listed.second));
  std::int64_t rows = 0;
  for (const auto& [table, count] : metadata.record_counts) rows += count;

  const std::string latest = line_with(run.out, listed.second.filename().string());
  CHECK(latest.rfind("* " + listed.second.filename().string(), 0) == 0);
  CHECK(latest.find(" dump ") != std::string::npos);
  CHECK(latest.find(" dev ") != std::string::npos);
  CHECK(latest.find(metadata.timestamp) != std::string::npos);
  CHECK(latest.find(" " + std::to_string(rows) + " ") != std::string::npos);
  CHECK(latest.find(" unknown ") != std::string::npos);  // no git: the commit is unknown
  const std::string older = line_with(run.out, listed.first.filename().string());
  CHECK(older.rfind("  " + listed.first.filename().string(), 0) == 0);
  // Newest first within the environment.
  CHECK(run.out.find(listed.second.filename().string()) < run.out.find(listed.first.filename().string()));

  const std::string snapshot = line_with(run.out, "before-change");
  CHECK(snapshot.find(" snapshot (partial) ") != std::string::npos);
  CHECK(snapshot.find(" " + core::read_metadata(listed.snapshots / "before-change.metadata.json").database + " ") !=
        std::string::npos);
  CHECK(snapshot.find(" 11 ") != std::string::npos);  // public.users only
  CHECK(snapshot.find("before the risky change") != std::string::npos);
  CHECK(lines_of(run.out).size() == 4);  // header, two dumps, one snapshot: links and nothing else

  SECTION("a dump's physical snapshot is listed with the dump, not as an archive of its own") {
    testing::write_text(core::physical_path_for(listed.second), std::string(4096, 'p'));
    const auto with_physical = run_pgseed(listed.list());
    CHECK(line_with(with_physical.out, listed.second.filename().string()).find(" dump + physical ") != std::string::npos);
    CHECK(line_with(with_physical.out, listed.first.filename().string()).find(" dump ") != std::string::npos);
    CHECK(lines_of(with_physical.out).size() == 4);
    const auto json = nlohmann::json::parse(run_pgseed(listed.list({"--json"})).out);
    for (const auto& item : json) {
      const bool has_physical = item["file"] == listed.second.string();
      CHECK(item["physicalSizeBytes"] == (has_physical ? 4096 : 0));
    }
  }
  SECTION("--snapshot-dir and PGSEED_SNAPSHOT_DIR say where snapshots are") {
    const fs::path elsewhere = listed.project.root() / "elsewhere";
    fs::rename(listed.snapshots, elsewhere);
    CHECK(run_pgseed(listed.list()).out.find("before-change") == std::string::npos);
    CHECK(run_pgseed(listed.list({"--snapshot-dir", elsewhere.string()})).out.find("before-change") !=
          std::string::npos);
    CHECK(run_pgseed(listed.list(), {{"PGSEED_SNAPSHOT_DIR", elsewhere.string()}}).out.find("before-change") !=
          std::string::npos);
  }
}

TEST_CASE("list --verify re-hashes, broken files are listed with their problem, --json says the same",
          "[integration][list]") {
  Listed listed;
  flip_last_byte(listed.first);
  // A dump whose metadata is broken, and metadata whose dump is gone.
  fs::copy_file(listed.second, listed.project.dumps() / "dev-seeded-vbroken0-20260101T000000Z-aaaaaa.dump");
  testing::write_text(listed.project.dumps() / "dev-seeded-vbroken0-20260101T000000Z-aaaaaa.metadata.json",
                      "{\"formatVersion\": 1");
  testing::write_text(listed.project.dumps() / "dev-seeded-vgone000-20260101T000000Z-bbbbbb.metadata.json",
                      testing::read_text(core::metadata_path_for(listed.second)));

  const auto plain = run_pgseed(listed.list());
  INFO(plain.out << plain.err);
  REQUIRE(plain.exit_code == 0);  // listing is not verifying: problems are shown, not an error
  CHECK(status_of(plain.out, listed.first.filename().string()) == "-");  // not hashed
  CHECK(status_of(plain.out, "vbroken0") == "metadata-invalid");
  CHECK(status_of(plain.out, "vgone000") == "missing");
  CHECK(plain.err.find("not valid JSON") != std::string::npos);

  const auto verified = run_pgseed(listed.list({"--verify"}));
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 3);
  CHECK(status_of(verified.out, listed.first.filename().string()) == "checksum-mismatch");
  CHECK(status_of(verified.out, listed.second.filename().string()) == "ok");
  CHECK(status_of(verified.out, "before-change") == "ok");  // copied before the flip
  CHECK(verified.err.find("3 of 5 dumps and snapshots are not ok") != std::string::npos);

  const auto json_run = run_pgseed(listed.list({"--verify", "--json"}));
  CHECK(json_run.exit_code == 3);
  const auto document = nlohmann::json::parse(json_run.out);
  REQUIRE(document.is_array());
  REQUIRE(document.size() == 5);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& item : document) by_name[item.at("name").get<std::string>()] = item;
  const auto& latest = by_name.at(listed.second.filename().string());
  CHECK(latest.at("status") == "ok");
  CHECK(latest.at("verified") == true);
  CHECK(latest.at("latest") == true);
  CHECK(latest.at("environment") == "dev");
  CHECK(latest.at("sizeBytes") == fs::file_size(listed.second));
  CHECK(latest.at("rows").get<std::int64_t>() > 0);
  CHECK(latest.at("commit") == "unknown");
  CHECK(by_name.at(listed.first.filename().string()).at("status") == "checksum-mismatch");
  CHECK(by_name.at(listed.first.filename().string()).at("latest") == false);
  CHECK(by_name.at("dev-seeded-vbroken0-20260101T000000Z-aaaaaa.dump").at("status") == "metadata-invalid");
  CHECK(by_name.at("dev-seeded-vgone000-20260101T000000Z-bbbbbb.dump").at("status") == "missing");
  const auto& snapshot = by_name.at("before-change");
  CHECK(snapshot.at("kind") == "snapshot");
  CHECK(snapshot.at("database") == core::read_metadata(listed.snapshots / "before-change.metadata.json").database);
  CHECK(snapshot.at("partial") == true);
  CHECK(snapshot.at("rows") == 11);
  CHECK(snapshot.at("note") == "before the risky change");
  CHECK(snapshot.at("status") == "ok");

  const auto unverified_json = nlohmann::json::parse(run_pgseed(listed.list({"--json"})).out);
  for (const auto& item : unverified_json) {
    if (item.at("name") == listed.second.filename().string()) CHECK(item.at("status") == "unverified");
  }
}

TEST_CASE("list with nothing there says so and prints an empty JSON array", "[integration][list]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"list", "-C", project.root().string()});
  CHECK(run.exit_code == 0);
  CHECK(run.out.empty());
  CHECK(run.err.find("no dumps in " + (project.root() / "dumps").string()) != std::string::npos);
  CHECK(run_pgseed({"list", "-C", project.root().string(), "--json"}).out == "[]\n");
  CHECK(run_pgseed({"list", "--help"}).out.find("--verify") != std::string::npos);
  const auto missing = run_pgseed({"list", "-C", (project.root() / "nope").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("project directory") != std::string::npos);
}
