// The dumps and snapshots on disk, each with its metadata: what `list` shows, what `prune` and `clean`
// delete, and what `status` adds up. (core/archive.h writes one archive; this lists what is there.)
//
// An archive is the pair <stem>.dump + <stem>.metadata.json. Either file may be missing or broken (a
// clone without LFS, a hand-copied dump, a killed prune): such a pair is still listed, with what is
// wrong in `status`, never skipped and never an exception. Hidden files (the temporaries of writes in
// progress) and the latest links are not archives; the links only mark what they point to.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/core/verify.h"
#include "pgseed/util/time.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgseed::core {

struct Archive {
  ArchiveKind kind = ArchiveKind::dump;  // by the directory it is in
  std::string name;                      // dumps: the file name; snapshots: the snapshot name
  std::filesystem::path dump_path;       // may not exist
  std::filesystem::path metadata_path;   // may not exist
  bool dump_exists = false;
  bool metadata_exists = false;
  std::uint64_t size_bytes = 0;  // the dump file on disk
  std::uint64_t metadata_bytes = 0;
  std::uint64_t physical_bytes = 0;  // dumps: the physical snapshot beside it (dump --physical); 0: none
  std::optional<DumpMetadata> metadata;  // when it exists and parses
  // What a look without hashing found: ok, missing (the dump), lfs_pointer, metadata_missing,
  // metadata_unreadable, metadata_invalid or size_mismatch. Only verify_dump can say checksum_mismatch.
  VerifyStatus status = VerifyStatus::ok;
  std::string detail;
  bool latest = false;  // dumps: an <env>-seeded-latest link points at this pair
  // dumps: the environment; snapshots: the database it was taken from. From the metadata; for a dump
  // without readable metadata, from its file name.
  std::string group;
  std::optional<util::SystemTime> created;  // the metadata's timestamp

  std::int64_t rows() const;  // the sum of the metadata's counts; 0 without metadata
  std::uint64_t disk_bytes() const { return size_bytes + metadata_bytes + physical_bytes; }
};

// Every archive in `directory` (none when it does not exist), sorted by group, newest first. Throws
// only when the directory exists but cannot be read.
std::vector<Archive> list_archives(const std::filesystem::path& directory, ArchiveKind kind);

// Bytes on disk of dumps and their metadata.
std::uint64_t disk_usage(const std::vector<Archive>& archives);

// "2026-11-21T06:45:32Z" -> a time; nullopt for anything else.
std::optional<util::SystemTime> parse_iso8601_utc(const std::string& text);
// "45 s", "12 min", "5 h", "3 d": how long ago, for a table column.
std::string format_age(std::chrono::seconds age);

// The files that git tracks in `directory` (as directory / name); empty outside a repository. One
// `git ls-files` call. Throws Error(failure) when git cannot be run but
// the directory is inside a repository: then nobody can say what is shared history.
std::set<std::filesystem::path> git_tracked_files(const std::filesystem::path& directory);

// Deletes the pair: the dump first, then the metadata, each durably (directory fsynced). That is the
// reverse of the order in which a dump is written, so a prune killed in between leaves a state a
// writer also passes through (metadata alone, which verify reports as a missing dump), never a dump
// that nothing can verify. An orphaned metadata file is a few KB and the next prune removes it.
void remove_archive(const Archive& archive);

// What prune does with each archive.
enum class PruneAction {
  keep_newest,       // among the newest N of its group (dumps: its environment; snapshots: all)
  keep_latest,       // a latest link points at it (counts as one of the N)
  keep_tracked,      // would go, but git tracks it: shared history
  keep_unreadable,   // no readable metadata: its age and environment are unknown
  keep_not_asked,    // a snapshot, and --snapshots was not given
  keep_in_progress,  // metadata alone, younger than a minute: a dump being written
  remove,            // older than the newest N
  remove_orphan,     // metadata whose dump is gone (a killed prune), older than a minute
};
const char* to_string(PruneAction action);
inline bool removes(PruneAction action) {
  return action == PruneAction::remove || action == PruneAction::remove_orphan;
}

struct PruneOptions {
  int keep = 1;  // >= 1: the newest one is never pruned, so a dump whose latest link has not moved yet survives
  bool snapshots = false;
  util::SystemTime now = std::chrono::system_clock::now();
};

struct PruneDecision {
  const Archive* archive = nullptr;
  PruneAction action = PruneAction::keep_newest;
};

// Decides, without touching anything. `tracked_paths`: what git tracks (git_tracked_files of the
// archives' directories). `file_age`: how long ago a file was last written (asked only for orphaned
// metadata).
std::vector<PruneDecision> plan_prune(
    const std::vector<Archive>& archives, const PruneOptions& options,
    const std::set<std::filesystem::path>& tracked_paths,
    const std::function<std::chrono::seconds(const std::filesystem::path&)>& file_age);

}  // namespace pgseed::core
