// `pgseed dump`: migrate, seed, then pg_dump into a versioned file with metadata and latest links.
#pragma once

#include "pgseed/core/archive.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/project.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/seed.h"
#include "pgseed/core/sharing.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <filesystem>
#include <string>

namespace pgseed::core {

struct DumpOptions {
  ProjectLayout project;
  std::string environment = "dev";
  seed::CountOverrides counts;  // --set / --scale for the seed step
  int compression = 1;  // zstd level (0: none); see docs/benchmarks.md for why 1
  EmptyDatabase empty_database = EmptyDatabase::refuse;
  SharingOptions sharing;  // externaldata: also the content link and the object in the first local store
  bool physical = false;  // also write <stem>.pgdata.tar.zst (core/physical.h)
};

struct DumpResult {
  std::filesystem::path dump_path;
  std::filesystem::path metadata_path;
  std::filesystem::path object_path;  // externaldata: the object in the first local store, if any
  std::filesystem::path physical_path;  // empty without --physical
  DumpMetadata metadata;
  std::vector<std::string> migrations_applied_now;
  bool seeded_now = false;
};

// Runs migrations and the seed step on `target`, then writes the dump. The dump and metadata appear
// under their final names only when complete (metadata first, so a dump never lacks it), and the
// latest links move last.
DumpResult create_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                       Reporter& reporter);

// Writes the dump of `target` as it is (no migrate, no seed).
DumpResult write_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                      Reporter& reporter);

}  // namespace pgseed::core
