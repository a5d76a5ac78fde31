// The physical snapshot beside a dump: `<dump stem>.pgdata.tar.zst`, the data directory of a cluster
// that the verified dump was restored into, for the init script to install instead of restoring.
//
// The cluster is initialised as the official postgres image initialises one (UTF8, the image's
// locale en_US.utf8 when this machine has it, else C.UTF-8; initdb's defaults otherwise), never copied
// from a user's server. Inside it, the data is in the database `postgres`, owned by the bootstrap
// superuser `postgres` (OID 10). The init script renames both to POSTGRES_DB and POSTGRES_USER: in the
// image's own cluster, OID 10 is POSTGRES_USER too, so the result has the image's shape.
//
// Everything a server must match to start safely on these files goes into the metadata (see
// PhysicalSnapshot): pg_control's layout fields, the catalog version, the CPU architecture, glibc
// and the collation versions. The configuration files are left out of the archive: the image's own
// stay in place.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/tools.h"

#include <filesystem>

namespace pgseed::core {

// zstd level of the archive; measured in docs/benchmarks.md ("Physical snapshot").
inline constexpr int physical_zstd_level = 1;

// Restores `verified_dump` (checked against `metadata` already: size and sha256) into a fresh cluster,
// checks every table's count against metadata.record_counts, stops the cluster cleanly and archives
// its data directory to `archive_path` (atomically: committed only when complete, never over an
// existing file). Fills metadata.physical.
void write_physical_snapshot(const pg::PgTools& tools, const std::filesystem::path& verified_dump,
                             const std::filesystem::path& archive_path, DumpMetadata& metadata, Reporter& reporter);

// After a clean shutdown, removes from `wal_directory` (pg_wal) every WAL segment file but
// `checkpoint_segment`, the one that holds the shutdown checkpoint: the only one a start reads. The
// others are old segments a checkpoint kept for reuse, dead weight in every archive. Other files
// (archive_status, timeline history) stay. Returns how many were removed.
int remove_unneeded_wal_segments(const std::filesystem::path& wal_directory, const std::string& checkpoint_segment);

// Checks the physical snapshot of a verified dump against its metadata: present, not a Git LFS
// pointer, size and sha256. Empty when it is fine, else what is wrong.
std::string check_physical_snapshot(const std::filesystem::path& archive_path, const PhysicalSnapshot& expected);

}  // namespace pgseed::core
