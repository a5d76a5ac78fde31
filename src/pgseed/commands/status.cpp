// pgseed status: what the target database is, where it came from, and what pgseed keeps around it.
//
// Everything is gathered into one JSON document first; the human output is rendered from it, so the
// two cannot disagree.
#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/inputs.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/names.h"
#include "pgseed/core/project.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/templates.h"
#include "pgseed/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

namespace pgseed::commands {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// Regular files only: the latest links point at files already counted.
json directory_usage(const fs::path& directory) {
  std::uint64_t bytes = 0;
  std::int64_t files = 0;
  std::error_code error;
  const bool exists = fs::is_directory(directory, error);
  if (exists) {
    for (fs::recursive_directory_iterator it(directory, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
      std::error_code entry_error;
      if (it->is_symlink(entry_error) || !it->is_regular_file(entry_error)) continue;
      const auto size = it->file_size(entry_error);
      if (entry_error) continue;  // removed while we looked (a prune, say)
      bytes += size;
      ++files;
    }
  }
  return {{"directory", directory.string()}, {"exists", exists}, {"bytes", bytes}, {"files", files}};
}

json migration_status(const core::ProjectLayout& project, pg::Connection* connection) {
  json result = {{"projectCount", 0}, {"applied", json::array()}, {"pending", json::array()},
                 {"changed", json::array()}, {"missingFiles", json::array()}};
  std::vector<core::MigrationFile> files;
  std::error_code error;
  if (fs::is_directory(project.migrations_directory, error)) {
    try {
      files = core::discover_migrations(project.migrations_directory);
    } catch (const Error& e) {
      result["error"] = e.what();  // a broken migrations directory is worth showing, not a crash
    }
  }
  result["projectCount"] = files.size();
  struct Applied {
    std::string name, sha256;
  };
  std::map<std::string, Applied> applied;
  if (connection != nullptr &&
      connection->query_value("SELECT to_regclass('public.pgseed_migrations') IS NOT NULL") == "t") {
    for (const auto& row : connection->query("SELECT version, name, sha256 FROM public.pgseed_migrations ORDER BY version")) {
      applied[row[0].value_or("")] = {row[1].value_or(""), row[2].value_or("")};
      result["applied"].push_back(row[0].value_or("") + "_" + row[1].value_or(""));
    }
  }
  std::set<std::string> in_project;
  for (const auto& file : files) {
    in_project.insert(file.version);
    const auto found = applied.find(file.version);
    const std::string label = file.version + "_" + file.name;
    if (found == applied.end()) result["pending"].push_back(label);
    else if (found->second.sha256 != file.sha256) result["changed"].push_back(label);
  }
  for (const auto& [version, migration] : applied) {
    if (!in_project.count(version)) result["missingFiles"].push_back(version + "_" + migration.name);
  }
  result["upToDate"] = result["pending"].empty() && result["changed"].empty() && result["missingFiles"].empty() &&
                       !result.contains("error");
  return result;
}

// What pgseed check says about the latest dump. A seed profile or metadata it cannot read is part of
// the description, not the end of it.
json dump_freshness(const core::ProjectLayout& project, const Settings& settings) {
  const auto counts = count_overrides(settings);  // a malformed --set is a usage error, as everywhere
  try {
    const auto check = core::check_latest_dump(project, settings.environment, counts);
    return {{"found", check.found}, {"fresh", check.fresh()},
            {"file", check.found ? json(check.dump_file) : json(nullptr)}, {"differences", check.differences}};
  } catch (const std::exception& e) {
    return {{"found", nullptr}, {"fresh", nullptr}, {"file", nullptr}, {"differences", json::array()}, {"error", e.what()}};
  }
}

// The newest row of public.pgseed_provenance (written by the image's init script, restore and reset).
json provenance_of(pg::Connection& connection, const fs::path& snapshot_directory) {
  if (connection.query_value("SELECT to_regclass('public.pgseed_provenance') IS NOT NULL") != "t") return nullptr;
  // to_jsonb keeps this working when a later pgseed adds columns (or an older one lacks restored_at).
  const auto rows = connection.query(
      "SELECT row_to_json(p)::text FROM public.pgseed_provenance p "
      "ORDER BY (to_jsonb(p)->>'restored_at')::timestamptz DESC NULLS LAST LIMIT 1");
  if (rows.empty() || !rows[0][0]) return nullptr;
  const json row = json::parse(*rows[0][0]);
  auto text = [&](const char* key) -> json {
    return row.contains(key) && row[key].is_string() ? row[key] : json(nullptr);
  };
  json result = {{"file", text("dump_file")},          {"checksum", text("checksum")},
                 {"gitVersion", text("git_version")},  {"environment", text("environment")},
                 {"dumpedAt", text("dumped_at")},      {"restoredAt", text("restored_at")},
                 {"restoredBy", text("restored_by")}};
  // The init script's table has no kind column; the file name tells: dumps are <env>-seeded-...,
  // snapshots are whatever name was given, in the snapshot directory.
  std::string kind = "unknown";
  if (text("kind").is_string()) {
    kind = row["kind"].get<std::string>();
  } else if (result["file"].is_string()) {
    const std::string file = fs::path(result["file"].get<std::string>()).filename().string();
    std::error_code error;
    if (file.find("-seeded-") != std::string::npos) kind = "dump";
    else if (fs::exists(snapshot_directory / file, error) || fs::exists(snapshot_directory / (file + ".dump"), error)) kind = "snapshot";
  }
  result["kind"] = kind;
  return result;
}

json gather(const Settings& settings, core::Reporter& reporter) {
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const fs::path snapshots = core::snapshot_directory(project, settings.snapshot_directory);
  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  const pg::ConnInfo& connection = target.connection();
  const std::string database = connection.database();

  json status;
  status["target"] = {{"database", database},
                      {"server", connection.redacted()},
                      {"description", target.description()},
                      {"localServer", target.local_server()},
                      {"onThisMachine", core::is_local_target(connection)}};
  const auto admin = core::connect_maintenance(connection);
  status["server"] = {{"version", admin->query_value("SHOW server_version")},
                      {"versionNum", admin->server_version_num()}};
  const auto size = admin->query("SELECT pg_database_size(oid) FROM pg_database WHERE datname = " + admin->quote_literal(database));
  const bool exists = !size.empty();
  status["exists"] = exists;
  status["sizeBytes"] = exists ? std::stoll(size[0][0].value_or("0")) : 0;

  const auto reasons = core::protection_reasons(connection, settings.environment);
  status["protected"] = !reasons.empty();
  status["protectedReasons"] = reasons;

  status["tables"] = json::array();
  // Exact counts, not pg_class.reltuples: right after a restore the estimates are 0 or -1 until
  // autovacuum analyses, which is exactly when someone runs status to see what they restored. For
  // dev-sized databases count(*) costs little.
  status["rowCountsExact"] = true;
  status["provenance"] = nullptr;
  if (exists) {
    pg::Connection db(connection);
    const auto counts = core::count_records(db);
    std::map<std::string, std::int64_t> sizes;
    for (const auto& row : db.query(R"sql(
        SELECT format('%I.%I', n.nspname, c.relname),
               CASE WHEN c.relkind = 'p'
                    THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
                    ELSE pg_total_relation_size(c.oid) END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition)sql")) {
      sizes[row[0].value_or("")] = std::stoll(row[1].value_or("0"));
    }
    for (const auto& [table, rows] : counts) {
      status["tables"].push_back({{"name", table}, {"rows", rows}, {"sizeBytes", sizes.count(table) ? sizes[table] : 0}});
    }
    status["provenance"] = provenance_of(db, snapshots);
    status["migrations"] = migration_status(project, &db);
  } else {
    status["migrations"] = migration_status(project, nullptr);
  }
  status["dump"] = dump_freshness(project, settings);
  status["disk"] = {{"dumps", directory_usage(project.dump_directory)}, {"snapshots", directory_usage(snapshots)}};
  status["templates"] = json::array();
  for (const auto& info : core::list_templates(*admin)) {
    status["templates"].push_back({{"name", info.name},
                                   {"kind", info.kind == core::TemplateKind::dump ? "dump" : "seed"},
                                   {"key", info.key},
                                   {"detail", info.detail},
                                   {"sizeBytes", info.size_bytes}});
  }
  return status;
}

std::string mib(const json& bytes) { return core::human_size(bytes.get<std::uint64_t>()); }

std::string list(const json& items, std::size_t limit = 5) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) text += (i ? ", " : "") + items[i].get<std::string>();
  if (items.size() > limit) text += ", and " + std::to_string(items.size() - limit) + " more";
  return text;
}

std::string value_or(const json& object, const char* key, const std::string& fallback) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : fallback;
}

void render(const json& status, std::ostream& out) {
  const int label_width = 12;
  auto line = [&](const std::string& label, const std::string& text) {
    out << label << std::string(label.size() < static_cast<std::size_t>(label_width) ? label_width - label.size() : 1, ' ')
        << text << "\n";
  };
  const json& target = status["target"];
  line("target", target["description"].get<std::string>() + (target["localServer"].get<bool>() ? " (the project's local server)" : ""));
  line("server", "PostgreSQL " + status["server"]["version"].get<std::string>());
  const std::string database = target["database"].get<std::string>();
  if (!status["exists"].get<bool>()) {
    line("database", database + " does not exist yet (pgseed restore, reset or a migrate on the server creates it)");
  } else {
    line("database", database + ", " + mib(status["sizeBytes"]));
  }
  line("protected", status["protected"].get<bool>() ? "yes: " + list(status["protectedReasons"], 10) : "no");

  if (status["exists"].get<bool>()) {
    const json& provenance = status["provenance"];
    if (provenance.is_null()) {
      line("came from", "unknown (no pgseed_provenance: not restored by pgseed)");
    } else {
      std::string text = value_or(provenance, "kind", "unknown") + " " + value_or(provenance, "file", "?");
      const std::string git = value_or(provenance, "gitVersion", "");
      if (!git.empty()) text += " (git " + git.substr(0, 12) + ")";
      text += ", restored " + value_or(provenance, "restoredAt", "?") + " by " + value_or(provenance, "restoredBy", "?");
      if (provenance["dumpedAt"].is_string()) text += ", taken " + provenance["dumpedAt"].get<std::string>();
      line("came from", text);
    }
  }

  const json& migrations = status["migrations"];
  std::string migration_text = std::to_string(migrations["applied"].size()) + " applied of " +
                               std::to_string(migrations["projectCount"].get<std::size_t>()) + " in the project";
  if (migrations["upToDate"].get<bool>()) migration_text += ", up to date";
  if (!migrations["pending"].empty()) migration_text += "; missing here: " + list(migrations["pending"]) + " (pgseed migrate)";
  if (!migrations["changed"].empty()) migration_text += "; changed since applied: " + list(migrations["changed"]);
  if (!migrations["missingFiles"].empty()) migration_text += "; applied but not in the project: " + list(migrations["missingFiles"]);
  if (migrations.contains("error")) migration_text += "; " + migrations["error"].get<std::string>();
  line("migrations", migration_text);

  const json& dump = status["dump"];
  if (dump.contains("error")) {
    line("dump", "cannot check: " + dump["error"].get<std::string>());
  } else if (!dump["found"].get<bool>()) {
    line("dump", "none: " + dump["differences"][0].get<std::string>());
  } else if (dump["fresh"].get<bool>()) {
    line("dump", "fresh (" + dump["file"].get<std::string>() + ")");
  } else {
    const auto count = dump["differences"].size();
    line("dump", "stale (" + std::to_string(count) + (count == 1 ? " difference" : " differences") + "): " +
                     dump["file"].get<std::string>() + " (pgseed check)");
    for (const auto& difference : dump["differences"]) out << "  " << difference.get<std::string>() << "\n";
  }

  if (status["exists"].get<bool>()) {
    const json& tables = status["tables"];
    std::int64_t rows = 0;
    std::size_t name_width = 0, rows_width = 0, size_width = 0;
    std::vector<std::array<std::string, 3>> cells;
    for (const auto& table : tables) {
      rows += table["rows"].get<std::int64_t>();
      cells.push_back({table["name"].get<std::string>(), std::to_string(table["rows"].get<std::int64_t>()), mib(table["sizeBytes"])});
      name_width = std::max(name_width, cells.back()[0].size());
      rows_width = std::max(rows_width, cells.back()[1].size());
      size_width = std::max(size_width, cells.back()[2].size());
    }
    line("tables", std::to_string(tables.size()) + (tables.size() == 1 ? " table, " : " tables, ") + std::to_string(rows) +
                       " rows (exact counts)");
    for (const auto& cell : cells) {
      out << "  " << cell[0] << std::string(name_width - cell[0].size() + 2, ' ') << std::string(rows_width - cell[1].size(), ' ')
          << cell[1] << " rows  " << std::string(size_width - cell[2].size(), ' ') << cell[2] << "\n";
    }
  }

  auto usage = [&](const char* label, const json& usage) {
    const std::string where = usage["directory"].get<std::string>();
    if (!usage["exists"].get<bool>()) return line(label, "none (" + where + " does not exist)");
    const auto files = usage["files"].get<std::int64_t>();
    line(label, mib(usage["bytes"]) + " in " + std::to_string(files) + (files == 1 ? " file" : " files") + " (" + where + ")");
  };
  usage("dumps", status["disk"]["dumps"]);
  usage("snapshots", status["disk"]["snapshots"]);

  const json& templates = status["templates"];
  if (templates.empty()) {
    line("templates", "none");
  } else {
    std::uint64_t total = 0;
    std::size_t name_width = 0;
    for (const auto& item : templates) {
      total += item["sizeBytes"].get<std::uint64_t>();
      name_width = std::max(name_width, item["name"].get<std::string>().size());
    }
    line("templates", std::to_string(templates.size()) + ", " + core::human_size(total));
    for (const auto& item : templates) {
      const std::string name = item["name"].get<std::string>();
      out << "  " << name << std::string(name_width - name.size() + 2, ' ') << item["kind"].get<std::string>() << "  "
          << item["detail"].get<std::string>() << "  " << mib(item["sizeBytes"]) << "\n";
    }
  }
}

}  // namespace

int run_status(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::check_name("environment", settings.environment);
  const json status = gather(settings, reporter);
  if (settings.json) out << status.dump(2) << "\n";
  else render(status, out);
  return 0;
}

}  // namespace pgseed::commands
