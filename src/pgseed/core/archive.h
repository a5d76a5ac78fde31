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

}  // namespace pgseed::core
