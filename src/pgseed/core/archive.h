// Writing a pg_dump archive with its metadata: what `dump` and `snapshot` share.
//
// The row counts and the data come from one exported snapshot, the files appear under their final
// names only when complete (metadata first, so an archive is never without it), and progress shows
// on a terminal.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/core/project.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/time.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

enum class EmptyDatabase { refuse, allow };

struct ArchiveRequest {
  ProjectLayout project;                 // for the git commit recorded in the metadata
  std::filesystem::path directory;       // where the archive goes
  // The archive's file name, once the git commit and the time are known.
  std::function<std::string(const SourceVersion&, util::SystemTime)> file_name;
  DumpMetadata metadata;                 // kind, environment or database, note, table patterns
  // zstd level of the whole archive (pg_dump -Z0 piped through zstd); 0 writes it uncompressed.
  // See docs/benchmarks.md for why zstd, and why level 1.
  int compression = 1;
  EmptyDatabase empty_database = EmptyDatabase::refuse;
  util::AtomicFile::Overwrite overwrite = util::AtomicFile::Overwrite::refuse;
  // Runs once the archive is complete and hashed, before anything is committed: it may write files
  // that go with the archive (they must be committed before the metadata that names them) and add
  // to the metadata. Returns those files, which are removed if the archive cannot be committed.
  std::function<std::vector<std::filesystem::path>(const std::filesystem::path& archive, DumpMetadata&)> before_commit;
};

struct ArchiveResult {
  std::filesystem::path dump_path;
  std::filesystem::path metadata_path;
  DumpMetadata metadata;
};

ArchiveResult write_archive(const pg::ConnInfo& target, const pg::PgTools& tools, const ArchiveRequest& request,
                            Reporter& reporter);

// Whether the file is a zstd stream (pgseed's archives since zstd became the default) rather than a
// custom-format archive pg_restore reads directly (older ones, written with pg_dump -Z1). The file
// says what it is: the metadata is not trusted for this.
bool is_zstd_file(const std::filesystem::path& archive);

// The zstd program; Error(failure) with a hint when it is not installed.
std::filesystem::path zstd_program();

// An archive as pg_restore can read it. pg_restore -j needs a file it can seek in, so a zstd archive
// is first decompressed into a hidden temporary file beside it (or in the system's temporary
// directory when that one is read-only); a custom-format archive is used as it is. The temporary goes
// when this object does, and a killed run's temporary is removed by the next run in that directory,
// or by `pgseed clean`. `display_name` names the dump in messages.
class PlainArchiveFile {
public:
  PlainArchiveFile(const std::filesystem::path& archive, const std::string& display_name, Reporter& reporter);
  // What pg_restore reads: the decompressed temporary, or the archive itself.
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::optional<util::AtomicFile> file_;
  std::filesystem::path path_;
};

// `pg_restore --list` of an archive of either kind (a zstd one is decompressed as it is read).
util::CommandResult list_archive(const pg::PgTools& tools, const std::filesystem::path& archive);

}  // namespace pgseed::core
