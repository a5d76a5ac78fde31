#include "pgseed/commands/commands.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/core/physical.h"
#include "pgseed/core/sharing.h"
#include "pgseed/core/verify.h"

#include <nlohmann/json.hpp>

#include <ostream>

namespace pgseed::commands {

int run_verify(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto dump = dump_to_use(settings);
  const auto result = core::verify_dump(dump, metadata_to_use(settings, dump), [&](std::uint64_t done, std::uint64_t total) {
    reporter.progress("verifying", done, total);
  });
  reporter.progress_done();
  // A dump written with --physical has its snapshot beside it, found by the dump's real name as the
  // metadata is (an installed copy is named <env>-seeded-latest.*); a fetched dump's beside the
  // fetched name (core/sharing.h).
  std::string physical_problem;
  std::filesystem::path physical_path;
  if (result.ok() && result.metadata->physical) {
    physical_path = core::physical_snapshot_beside(result);
    reporter.info("verifying " + physical_path.filename().string());
    physical_problem = core::check_physical_snapshot(physical_path, *result.metadata->physical);
  }
  if (settings.json) {
    nlohmann::json document = {{"status", core::to_string(result.status)},
                               {"dump", result.dump_path.string()},
                               {"metadata", result.metadata_path.string()}};
    if (!result.resolved_path.empty()) document["file"] = result.resolved_path.string();
    if (!result.actual_checksum.empty()) document["checksum"] = result.actual_checksum;
    if (result.actual_size > 0) document["sizeBytes"] = result.actual_size;
    if (result.metadata) {
      document["environment"] = result.metadata->environment;
      document["version"] = result.metadata->version;
      document["timestamp"] = result.metadata->timestamp;
    }
    if (!result.ok()) document["error"] = core::refusal_for(result).what();
    if (!physical_path.empty()) {
      document["physical"] = {{"file", physical_path.string()}, {"status", physical_problem.empty() ? "ok" : "invalid"}};
      if (!physical_problem.empty()) {
        document["status"] = "physical-invalid";
        document["error"] = physical_problem;
      }
    }
    out << document.dump(2) << "\n";
  } else if (result.ok()) {
    out << "ok: " << result.dump_path.string() << " (" << core::human_size(result.actual_size) << ", sha256 "
        << result.actual_checksum << ", " << result.metadata->record_counts.size() << " tables)\n";
    if (!physical_path.empty() && physical_problem.empty()) {
      out << "ok: " << physical_path.string() << " (" << core::human_size(result.metadata->physical->size_bytes)
          << ", sha256 " << result.metadata->physical->checksum << ")\n";
    }
  }
  if (!result.ok()) throw core::refusal_for(result);
  if (!physical_problem.empty()) throw core::physical_refusal_for(physical_path, physical_problem);
  return 0;
}

}  // namespace pgseed::commands
