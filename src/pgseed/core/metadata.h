// The JSON file that travels with every dump: where it came from, what it holds, and its checksum.
#pragma once

#include "pgseed/core/inputs.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

// Row counts by table; keys are schema-qualified and quoted where needed ("public.users",
// "public.\"Order\"") so that `select count(*) from <key>` works as written.
using RecordCounts = std::map<std::string, std::int64_t>;

// What an archive is: a seeded dump that generate-dump wrote for an environment, or a snapshot of a
// database as it was (`pgseed snapshot`). Both have the same format and the same checks.
enum class ArchiveKind { dump, snapshot };

// A collation the data of a physical snapshot uses, as CREATE COLLATION makes it again: the init
// script creates a temporary one from this on the image's server and compares the version that
// server's library gives it (an index in an ICU collation is only valid under the same version).
struct PhysicalCollation {
  std::string provider;  // libc, icu or builtin; empty in metadata that predates this field
  std::string locale;    // the ICU or builtin locale, or LC_COLLATE for libc
  std::string ctype;     // LC_CTYPE for libc, else empty
  std::string version;   // pg_collation_actual_version(); empty when the provider has none
};

// The physical snapshot beside a dump (`dump --physical`): the data directory of a cluster the dump
// was restored into, and what a server must match to start on those files (see core/physical.h).
struct PhysicalSnapshot {
  std::string file;                  // <dump stem>.pgdata.tar.zst
  std::uint64_t size_bytes = 0;
  std::string checksum;              // sha256, lowercase hex
  int compression_level = 0;         // zstd level
  std::string database = "postgres";       // the database that holds the data inside the archive
  std::string bootstrap_user = "postgres";  // the role with OID 10 inside the archive
  int major_version = 0;
  int server_version_num = 0;
  std::int64_t catalog_version = 0;
  std::int64_t control_version = 0;
  std::int64_t max_align = 0;
  std::int64_t block_size = 0;
  std::int64_t relseg_size = 0;      // blocks per segment of a large relation
  std::int64_t wal_block_size = 0;
  std::int64_t wal_segment_size = 0;
  std::int64_t name_data_len = 0;    // NAMEDATALEN (pg_control_init().max_identifier_length)
  bool float8_pass_by_value = true;
  std::int64_t data_checksums = 0;   // data_page_checksum_version: 0 = off
  std::string architecture;          // uname -m
  std::string glibc;                 // gnu_get_libc_version()
  std::string encoding;              // of the database
  std::string locale_provider;       // libc or icu
  std::string collate;
  std::string ctype;
  std::string locale_note;           // why this locale (the image's, or the fallback)
  std::string database_collation_version;              // datcollversion; empty when none
  std::map<std::string, PhysicalCollation> collations;  // the collations the data uses, by qualified name

  std::string json_text() const;  // for tests and messages
};

struct DumpMetadata {
  static constexpr int current_format_version = 1;

  int format_version = current_format_version;
  ArchiveKind kind = ArchiveKind::dump;  // "kind"; absent in older files means dump
  std::string environment;           // dumps: the environment; snapshots: empty
  std::string database;              // snapshots: the database it was taken from
  std::string note;                  // snapshots: -m TEXT
  std::vector<std::string> table_patterns;          // snapshots: --table patterns; empty = all tables
  std::vector<std::string> excluded_table_patterns; // snapshots: --exclude-table patterns
  std::string version = "unknown";  // full git commit
  bool dirty = false;
  std::string timestamp;            // ISO 8601 UTC
  std::string file;                 // the dump's file name, no directory
  std::uint64_t size_bytes = 0;
  std::string format = "custom";
  int compression = 1;
  // "zstd": the file is a zstd stream of an uncompressed (-Z0) custom archive, at level
  // `compression`. "pg_dump" (and absent, in dumps older than it): pg_dump compressed it itself.
  std::string compressor = "zstd";
  std::string checksum;             // lowercase hex sha256 of the dump
  std::string checksum_algorithm = "sha256";
  RecordCounts record_counts;
  std::vector<std::string> migrations;  // applied versions, in order
  std::string migrations_fingerprint;   // sha256 over versions and file checksums
  std::optional<Inputs> inputs;         // dumps: what decided the content (core/inputs.h); absent in older files
  std::string server_version;           // "15.18"
  int server_version_num = 0;           // 150018
  std::string pg_dump_version;          // "15.18"
  int pg_dump_major = 0;                // 15
  std::string tool_name = "pgseed";
  std::string tool_version;
  std::optional<PhysicalSnapshot> physical;  // "physical": only with dump --physical

  // A partial snapshot holds only some tables; restoring it replaces only their data.
  bool partial() const { return !table_patterns.empty() || !excluded_table_patterns.empty(); }

  std::string to_json() const;
  // Throws MetadataError naming the first field that is missing or of the wrong kind.
  static DumpMetadata from_json(const std::string& text);
};

const char* to_string(ArchiveKind kind);

class MetadataError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

DumpMetadata read_metadata(const std::filesystem::path& path);
void write_metadata(const std::filesystem::path& path, const DumpMetadata& metadata);

}  // namespace pgseed::core
