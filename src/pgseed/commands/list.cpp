// pgseed list: the dumps of every environment and the snapshots, from the files alone (no server).
#include "pgseed/commands/commands.h"
#include "pgseed/core/archive_list.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

namespace pgseed::commands {
namespace fs = std::filesystem;

namespace {

struct Row {
  const core::Archive* archive = nullptr;
  std::string status;  // "-" (looked at, not hashed), "ok" (hashed), or a VerifyStatus name
  std::string detail;
};

std::string short_commit(const core::DumpMetadata& metadata) {
  if (metadata.version == "unknown" || metadata.version.empty()) return "unknown";
  return metadata.version.substr(0, 7) + (metadata.dirty ? "+dirty" : "");
}

std::string kind_text(const core::Archive& archive) {
  if (archive.kind == core::ArchiveKind::dump) return archive.physical_bytes > 0 ? "dump + physical" : "dump";
  return archive.metadata && archive.metadata->partial() ? "snapshot (partial)" : "snapshot";
}

std::vector<std::string> columns(const Row& row, util::SystemTime now) {
  const core::Archive& archive = *row.archive;
  const auto& metadata = archive.metadata;
  std::string age = "-";
  if (archive.created) age = core::format_age(std::chrono::duration_cast<std::chrono::seconds>(now - *archive.created));
  return {(archive.latest ? "* " : "  ") + archive.name,
          kind_text(archive),
          archive.group.empty() ? "-" : archive.group,
          metadata ? metadata->timestamp : "-",
          age,
          archive.dump_exists ? core::human_size(archive.size_bytes) : "-",
          metadata ? std::to_string(archive.rows()) : "-",
          metadata ? short_commit(*metadata) : "-",
          row.status,
          metadata ? metadata->note : ""};
}

void print_table(const std::vector<Row>& rows, std::ostream& out) {
  const auto now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> lines = {
      {"  NAME", "KIND", "ENV/DATABASE", "CREATED", "AGE", "SIZE", "ROWS", "COMMIT", "STATUS", "NOTE"}};
  for (const auto& row : rows) lines.push_back(columns(row, now));
  std::vector<std::size_t> widths(lines[0].size(), 0);
  for (const auto& line : lines) {
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  }
}

nlohmann::json to_json(const Row& row) {
  const core::Archive& archive = *row.archive;
  nlohmann::json item = {
      {"name", archive.name},
      {"kind", core::to_string(archive.kind)},
      {"file", archive.dump_path.string()},
      {"metadataFile", archive.metadata_path.string()},
      {archive.kind == core::ArchiveKind::dump ? "environment" : "database", archive.group},
      {"latest", archive.latest},
      {"sizeBytes", archive.size_bytes},
      {"physicalSizeBytes", archive.physical_bytes},  // 0: no physical snapshot (dump --physical)
      {"status", row.status == "-" ? "unverified" : row.status},
      {"verified", row.status == "ok"},
  };
  if (!row.detail.empty()) item["detail"] = row.detail;
  if (const auto& metadata = archive.metadata) {
    item["created"] = metadata->timestamp;
    if (archive.created) {
      item["ageSeconds"] =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *archive.created).count();
    }
    item["rows"] = archive.rows();
    item["commit"] = metadata->version;
    item["dirty"] = metadata->dirty;
    item["note"] = metadata->note;
    item["partial"] = metadata->partial();
    if (metadata->partial()) {
      item["tables"] = {{"include", metadata->table_patterns}, {"exclude", metadata->excluded_table_patterns}};
    }
  }
  return item;
}

}  // namespace

int run_list(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const fs::path snapshot_directory = core::snapshot_directory(project, settings.snapshot_directory);
  auto archives = core::list_archives(project.dump_directory, core::ArchiveKind::dump);
  auto snapshots = core::list_archives(snapshot_directory, core::ArchiveKind::snapshot);
  archives.insert(archives.end(), std::make_move_iterator(snapshots.begin()), std::make_move_iterator(snapshots.end()));

  std::vector<Row> rows;
  int not_ok = 0;
  for (const auto& archive : archives) {
    Row row{&archive, archive.status == core::VerifyStatus::ok ? "-" : core::to_string(archive.status), archive.detail};
    if (settings.verify && archive.dump_exists) {
      const auto result = core::verify_dump(archive.dump_path, [&](std::uint64_t done, std::uint64_t total) {
        reporter.progress("verifying " + archive.name, done, total);
      });
      reporter.progress_done();
      row.status = core::to_string(result.status);
      row.detail = result.ok() ? "" : result.to_error().what();
    }
    if (row.status != "-" && row.status != "ok") {
      ++not_ok;
      reporter.warning(archive.name + ": " + row.status + (row.detail.empty() ? "" : ": " + row.detail));
    }
    rows.push_back(row);
  }

  if (settings.json) {
    nlohmann::json document = nlohmann::json::array();
    for (const auto& row : rows) document.push_back(to_json(row));
    out << document.dump(2) << "\n";
  } else if (rows.empty()) {
    reporter.info("no dumps in " + project.dump_directory.string() + ", no snapshots in " +
                  snapshot_directory.string());
  } else {
    print_table(rows, out);
    reporter.info("* = what <env>-seeded-latest points to; " + std::to_string(rows.size()) + " dumps and snapshots, " +
                  core::human_size(core::disk_usage(archives)) + " on disk");
  }
  if (settings.verify && not_ok > 0) {
    throw Error(ExitCode::dump_refused,
                std::to_string(not_ok) + " of " + std::to_string(rows.size()) + " dumps and snapshots are not ok",
                "the STATUS column says what is wrong with each");
  }
  return 0;
}

}  // namespace pgseed::commands
