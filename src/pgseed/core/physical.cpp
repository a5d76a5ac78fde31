#include "pgseed/core/physical.h"

#include "pgseed/core/archive.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/toast_compression.h"
#include "pgseed/error.h"
#include "pgseed/pg/cluster.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/subprocess.h"
#include "pgseed/util/time.h"

#include <algorithm>
#include <chrono>
#include <clocale>
#include <gnu/libc-version.h>
#include <locale.h>
#include <regex>
#include <set>
#include <sys/utsname.h>
#include <thread>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

// The official image sets LANG=en_US.utf8 (Debian and Alpine variants alike), so its initdb makes
// en_US.utf8 clusters. A machine without that locale gets C.UTF-8, the same on every glibc, and the
// metadata says so: an image whose cluster has another locale then falls back to the logical dump.
struct LocaleChoice {
  std::string locale;
  std::string note;
};

LocaleChoice choose_locale() {
  if (locale_t probe = ::newlocale(LC_ALL_MASK, "en_US.utf8", static_cast<locale_t>(nullptr))) {
    ::freelocale(probe);
    return {"en_US.utf8", "en_US.utf8, as the official postgres image (LANG=en_US.utf8)"};
  }
  return {"C.UTF-8", "C.UTF-8: en_US.utf8 (the official image's) is not installed on the machine that made it"};
}

// What the image's first start replaces: everything but its configuration, and the files a running
// or stopped server leaves that describe that server, not the data.
const std::set<std::string>& left_out_of_archive() {
  static const std::set<std::string> names = {"postgresql.conf", "pg_hba.conf",     "pg_ident.conf",
                                              "postgresql.auto.conf", "postmaster.opts", "postmaster.pid"};
  return names;
}

std::int64_t integer(const pg::Value& value, const std::string& what) {
  if (!value) throw Error(ExitCode::failure, "physical snapshot: the server reported no " + what);
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    throw Error(ExitCode::failure, "physical snapshot: the server reported " + what + " as '" + *value + "'");
  }
}

// pg_controldata on the stopped cluster: the only proof that it was shut down cleanly, so that the
// archived files need no recovery and hold everything that was committed. Returns the WAL segment
// that holds the shutdown checkpoint.
std::string check_shut_down(const pg::PgTools& tools, const fs::path& data_directory) {
  util::Command command;
  command.argv = {tools.program("pg_controldata").string(), data_directory.string()};
  command.env["LC_ALL"] = "C";
  const auto result = util::run_command(command);
  if (!result.ok()) {
    throw Error(ExitCode::failure, "physical snapshot: pg_controldata failed: " + result.last_error_line());
  }
  if (result.stdout_text.find("Database cluster state:               shut down\n") == std::string::npos) {
    throw Error(ExitCode::failure, "physical snapshot: the cluster in " + data_directory.string() +
                                       " was not shut down cleanly; its files cannot be archived");
  }
  static const std::regex redo_segment("Latest checkpoint's REDO WAL file: *([0-9A-F]{24})\n");
  std::smatch match;
  if (!std::regex_search(result.stdout_text, match, redo_segment)) {
    throw Error(ExitCode::failure, "physical snapshot: pg_controldata of " + data_directory.string() +
                                       " names no checkpoint WAL file");
  }
  return match[1].str();
}

bool is_wal_segment_name(const std::string& name) {
  return name.size() == 24 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

}  // namespace

int remove_unneeded_wal_segments(const fs::path& wal_directory, const std::string& checkpoint_segment) {
  if (!is_wal_segment_name(checkpoint_segment)) {
    throw Error(ExitCode::failure, "physical snapshot: '" + checkpoint_segment + "' is not a WAL segment name");
  }
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(wal_directory)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && is_wal_segment_name(name) && name != checkpoint_segment) {
      fs::remove(entry.path());
      ++removed;
    }
  }
  return removed;
}

void write_physical_snapshot(const pg::PgTools& tools, const fs::path& verified_dump, const fs::path& archive_path,
                             DumpMetadata& metadata, Reporter& reporter) {
  const auto started = std::chrono::steady_clock::now();
  if (util::find_in_path("zstd").empty()) {
    throw Error(ExitCode::failure, "cannot write the physical snapshot: zstd is not installed",
                "install it (apt-get install zstd; scripts/bootstrap.sh does)");
  }
  const LocaleChoice locale = choose_locale();
  PhysicalSnapshot physical;
  physical.file = archive_path.filename().string();
  physical.compression_level = physical_zstd_level;
  physical.locale_note = locale.note;
  {
    utsname machine{};
    if (::uname(&machine) == 0) physical.architecture = machine.machine;
  }
  physical.glibc = ::gnu_get_libc_version();

  util::AtomicFile archive(archive_path);
  pg::ClusterOptions options;
  options.database = "postgres";
  options.locale = locale.locale;
  pg::EmbeddedCluster cluster(tools, options);
  reporter.info("physical snapshot: restoring " + metadata.file + " into a fresh " + locale.locale + " cluster");
  {
    pg::Connection connection(cluster.connection(physical.database));
    // The same storage as a logical first start gives (see toast_compression.h): lz4 for large values.
    const bool lz4 = has_fast_toast_compression(connection);
    if (lz4) {
      connection.execute(std::string("ALTER DATABASE postgres SET default_toast_compression = ") + fast_toast_compression);
    }
    const unsigned cpus = std::max(2U, std::thread::hardware_concurrency());
    // --no-owner/--no-acl: every object belongs to the bootstrap superuser, which becomes POSTGRES_USER.
    // A zstd dump is decompressed first: pg_restore -j needs a file it can seek in.
    const PlainArchiveFile plain(verified_dump, metadata.file, reporter);
    tools.run_client("pg_restore", cluster.connection(physical.database),
                     {"--no-owner", "--no-acl", "--exit-on-error", "--jobs=" + std::to_string(cpus), plain.path().string()});
    if (lz4) connection.execute("ALTER DATABASE postgres RESET default_toast_compression");

    const RecordCounts counts = count_records(connection);
    for (const auto& [table, rows] : metadata.record_counts) {
      const auto found = counts.find(table);
      if (found == counts.end()) {
        throw Error(ExitCode::dump_refused, "physical snapshot: table " + table + " is in the metadata but not in the restored dump");
      }
      if (found->second != rows) {
        throw Error(ExitCode::dump_refused, "physical snapshot: count mismatch: " + table + " has " +
                                                std::to_string(found->second) + " rows, metadata says " + std::to_string(rows));
      }
    }
    if (counts.size() != metadata.record_counts.size()) {
      throw Error(ExitCode::dump_refused, "physical snapshot: the restored dump has " + std::to_string(counts.size()) +
                                              " tables, the metadata " + std::to_string(metadata.record_counts.size()));
    }
    // Statistics and the visibility map now, once, rather than on every first start's first queries.
    connection.execute("VACUUM (ANALYZE)");
    // The restore wrote WAL as large as the data, and a checkpoint keeps the old segments for reuse
    // (up to max_wal_size): hundreds of MB of dead WAL in the archive, measured 908 MiB of data
    // directory for 479 MiB of database. With a small max_wal_size the checkpoints remove them.
    // ALTER SYSTEM writes postgresql.auto.conf, which stays out of the archive.
    connection.execute("ALTER SYSTEM SET max_wal_size = '32MB'");
    connection.execute("ALTER SYSTEM SET min_wal_size = '32MB'");
    connection.execute("SELECT pg_reload_conf()");
    connection.execute("CHECKPOINT");

    // What a server must match to start on these files. pg_control_init() reports what this server was
    // compiled with, which is also what initdb wrote into pg_control.
    const auto row = connection.query(
        "SELECT s.pg_control_version, s.catalog_version_no, i.max_data_alignment, i.database_block_size, "
        "i.blocks_per_segment, i.wal_block_size, i.bytes_per_wal_segment, i.max_identifier_length, "
        "i.float8_pass_by_value, i.data_page_checksum_version, current_setting('server_version_num'), "
        "pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
        // to_jsonb: these columns came in 15 and were renamed in 17 (daticulocale -> datlocale).
        "CASE to_jsonb(d)->>'datlocprovider' WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END, "
        "coalesce(to_jsonb(d)->>'datcollversion', '') "
        "FROM pg_control_system() s, pg_control_init() i, pg_database d WHERE d.datname = current_database()");
    if (row.size() != 1 || row[0].size() != 16) throw Error(ExitCode::failure, "physical snapshot: cannot read pg_control");
    const auto& r = row[0];
    physical.control_version = integer(r[0], "pg_control version");
    physical.catalog_version = integer(r[1], "catalog version");
    physical.max_align = integer(r[2], "MAXALIGN");
    physical.block_size = integer(r[3], "BLCKSZ");
    physical.relseg_size = integer(r[4], "RELSEG_SIZE");
    physical.wal_block_size = integer(r[5], "XLOG_BLCKSZ");
    physical.wal_segment_size = integer(r[6], "WAL segment size");
    physical.name_data_len = integer(r[7], "NAMEDATALEN");
    physical.float8_pass_by_value = r[8].value_or("") == "t";
    physical.data_checksums = integer(r[9], "data checksum version");
    physical.server_version_num = static_cast<int>(integer(r[10], "server_version_num"));
    physical.major_version = physical.server_version_num / 10000;
    physical.encoding = r[11].value_or("");
    physical.collate = r[12].value_or("");
    physical.ctype = r[13].value_or("");
    physical.locale_provider = r[14].value_or("");
    physical.database_collation_version = r[15].value_or("");
    // Collations other than the database's default that columns or indexes use: their order on disk
    // (indexes) is only valid under the same version of the library behind them. With each, what
    // makes it again elsewhere: the image's cluster has none of the ones the migrations created.
    // to_jsonb: the ICU locale's column is colliculocale in 15-16 and colllocale from 17.
    for (const auto& collation : connection.query(
             "SELECT format('%I.%I', n.nspname, c.collname), coalesce(pg_collation_actual_version(c.oid), ''), "
             "CASE c.collprovider WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' WHEN 'c' THEN 'libc' ELSE 'default' END, "
             "coalesce(to_jsonb(c)->>'colllocale', to_jsonb(c)->>'colliculocale', c.collcollate, ''), "
             "CASE WHEN c.collprovider = 'c' THEN coalesce(c.collctype, '') ELSE '' END "
             "FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace "
             "WHERE c.oid <> 100 AND (c.oid IN (SELECT a.attcollation FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid "
             "                                  WHERE r.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)) "
             "  OR c.oid IN (SELECT unnest(indcollation::oid[]) FROM pg_index)) "
             "ORDER BY 1")) {
      physical.collations[collation[0].value_or("")] = {collation[2].value_or(""), collation[3].value_or(""),
                                                        collation[4].value_or(""), collation[1].value_or("")};
    }
  }
  cluster.stop();
  if (!cluster.stopped_cleanly()) {
    throw Error(ExitCode::failure, "physical snapshot: the cluster did not stop cleanly; its files cannot be archived");
  }
  // The reload of the small max_wal_size above may reach the checkpointer after its CHECKPOINT: then
  // the restore's segments stay for reuse (measured: 908 MiB of data directory instead of 524).
  const std::string checkpoint_segment = check_shut_down(tools, cluster.data_directory());
  remove_unneeded_wal_segments(cluster.data_directory() / "pg_wal", checkpoint_segment);

  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(cluster.data_directory())) {
    const std::string name = entry.path().filename().string();
    if (left_out_of_archive().count(name) == 0) entries.push_back(name);
  }
  std::sort(entries.begin(), entries.end());
  reporter.info("physical snapshot: archiving the data directory with zstd -" + std::to_string(physical_zstd_level));
  util::Command tar;
  // tar pipes to zstd, which compresses on every core; --sort makes the archive's order reproducible.
  tar.argv = {"tar", "--create", "--sort=name", "--file=" + archive.temporary_path().string(),
              "--use-compress-program=zstd -T0 -" + std::to_string(physical_zstd_level) + " -q",
              "--directory=" + cluster.data_directory().string(), "--"};
  tar.argv.insert(tar.argv.end(), entries.begin(), entries.end());
  const auto archived = util::run_command(tar);
  if (!archived.ok()) {
    throw Error(ExitCode::failure, "physical snapshot: tar of " + cluster.data_directory().string() +
                                       " failed: " + archived.last_error_line());
  }
  const auto digest = util::sha256_file(archive.temporary_path());
  physical.size_bytes = digest.size;
  physical.checksum = digest.sha256;
  archive.commit(util::AtomicFile::Overwrite::refuse);
  reporter.info("wrote " + archive_path.string() + " (" + human_size(digest.size) + ", " +
                human_duration(util::seconds_since(started)) + ")");
  metadata.physical = std::move(physical);
}

std::string check_physical_snapshot(const fs::path& archive_path, const PhysicalSnapshot& expected) {
  std::error_code error;
  if (!fs::is_regular_file(archive_path, error)) return "physical snapshot " + archive_path.string() + " does not exist";
  const auto size = fs::file_size(archive_path, error);
  if (error) return "physical snapshot " + archive_path.string() + " cannot be read: " + error.message();
  if (size < 1024 && util::read_file_prefix(archive_path, 64).rfind("version https://git-lfs.github.com/spec/", 0) == 0) {
    return "physical snapshot " + archive_path.string() + " is a Git LFS pointer, not the archive (run git lfs pull)";
  }
  if (size != expected.size_bytes) {
    return "physical snapshot " + archive_path.string() + " has the wrong size: " + std::to_string(size) +
           " bytes, metadata says " + std::to_string(expected.size_bytes);
  }
  const auto digest = util::sha256_file(archive_path);
  if (digest.sha256 != expected.checksum) {
    return "physical snapshot " + archive_path.string() + " failed its checksum: sha256 " + digest.sha256 +
           ", metadata says " + expected.checksum;
  }
  return {};
}

}  // namespace pgseed::core
