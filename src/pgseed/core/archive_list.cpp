#include "pgseed/core/archive_list.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/error.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/subprocess.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string without_suffix(const std::string& text, const std::string& suffix) {
  return text.substr(0, text.size() - suffix.size());
}

// "dev-seeded-latest.dump" -> "dev-seeded-latest"; "" for a file that is neither a dump nor metadata.
std::string archive_stem(const std::string& file_name) {
  if (ends_with(file_name, metadata_extension)) return without_suffix(file_name, metadata_extension);
  if (ends_with(file_name, dump_extension)) return without_suffix(file_name, dump_extension);
  return "";
}

bool inside_git_repository(const fs::path& directory) {
  std::error_code error;
  for (fs::path path = fs::absolute(directory, error); !path.empty(); path = path.parent_path()) {
    if (fs::exists(path / ".git", error)) return true;
    if (path == path.root_path()) break;
  }
  return false;
}

void fill_in(Archive& archive, const std::string& stem) {
  std::error_code error;
  if (!archive.dump_exists) {
    archive.status = VerifyStatus::missing;
    archive.detail = "metadata without its dump";
  } else if (archive.size_bytes < 1024 && looks_like_lfs_pointer(util::read_file_prefix(archive.dump_path, 128))) {
    archive.status = VerifyStatus::lfs_pointer;
    archive.detail = "a Git LFS pointer; run git lfs pull";
  }
  if (!archive.metadata_exists) {
    if (archive.status == VerifyStatus::ok) {
      archive.status = VerifyStatus::metadata_missing;
      archive.detail = "no " + archive.metadata_path.filename().string();
    }
  } else {
    try {
      archive.metadata = read_metadata(archive.metadata_path);
    } catch (const MetadataError& e) {
      if (archive.status == VerifyStatus::ok) {
        archive.status = VerifyStatus::metadata_invalid;
        archive.detail = e.what();
      }
    } catch (const std::exception& e) {  // there, but it cannot be read (permissions, I/O)
      if (archive.status == VerifyStatus::ok) {
        archive.status = VerifyStatus::metadata_unreadable;
        archive.detail = e.what();
      }
    }
  }
  if (archive.metadata && archive.status == VerifyStatus::ok && archive.size_bytes != archive.metadata->size_bytes) {
    archive.status = VerifyStatus::size_mismatch;
    archive.detail = std::to_string(archive.size_bytes) + " bytes, metadata says " +
                     std::to_string(archive.metadata->size_bytes);
  }

  if (archive.metadata) {
    archive.group = archive.metadata->kind == ArchiveKind::snapshot ? archive.metadata->database
                                                                    : archive.metadata->environment;
    archive.created = parse_iso8601_utc(archive.metadata->timestamp);
  } else if (archive.kind == ArchiveKind::dump) {
    // <env>-seeded-v<sha>-<time>-<run>: enough to show it under the right environment.
    if (const auto at = stem.find("-seeded-"); at != std::string::npos) archive.group = stem.substr(0, at);
  }
}

}  // namespace

std::int64_t Archive::rows() const {
  std::int64_t total = 0;
  if (metadata) {
    for (const auto& [table, count] : metadata->record_counts) total += count;
  }
  return total;
}

std::vector<Archive> list_archives(const fs::path& directory, ArchiveKind kind) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) return {};
  std::map<std::string, Archive> by_stem;
  std::set<std::string> latest_stems;
  try {
    for (const auto& entry : fs::directory_iterator(directory)) {
      const std::string file = entry.path().filename().string();
      if (file.empty() || file[0] == '.') continue;  // temporaries of writes in progress
      const std::string stem = archive_stem(file);
      if (stem.empty()) continue;
      if (entry.is_symlink(error)) {
        // Only the latest links are pgseed's; they mark their target, even when it is gone.
        if (kind == ArchiveKind::dump && ends_with(stem, "-seeded-latest")) {
          const fs::path target = fs::read_symlink(entry.path(), error);
          if (!error) latest_stems.insert(archive_stem(target.filename().string()));
        }
        continue;
      }
      if (!entry.is_regular_file(error)) continue;
      Archive& archive = by_stem[stem];
      const std::uint64_t size = entry.file_size(error);
      if (ends_with(file, metadata_extension)) {
        archive.metadata_exists = true;
        archive.metadata_bytes = error ? 0 : size;
      } else {
        archive.dump_exists = true;
        archive.size_bytes = error ? 0 : size;
      }
    }
  } catch (const fs::filesystem_error& e) {
    throw Error(ExitCode::failure, "directory " + directory.string() + " cannot be read: " + e.code().message());
  }

  std::vector<Archive> archives;
  for (auto& [stem, archive] : by_stem) {
    archive.kind = kind;
    archive.name = kind == ArchiveKind::dump ? stem + dump_extension : stem;
    archive.dump_path = directory / (stem + dump_extension);
    archive.metadata_path = directory / (stem + metadata_extension);
    archive.latest = latest_stems.count(stem) > 0;
    if (kind == ArchiveKind::dump) {
      // Not an archive of its own: it belongs to its dump, is listed and counted with it, and goes
      // with it (remove_archive).
      std::error_code error;
      const fs::path physical = physical_path_for(archive.dump_path);
      if (fs::is_regular_file(fs::symlink_status(physical, error))) {
        const auto size = fs::file_size(physical, error);
        archive.physical_bytes = error ? 0 : size;
      }
    }
    fill_in(archive, stem);
    archives.push_back(std::move(archive));
  }
  std::sort(archives.begin(), archives.end(), [](const Archive& a, const Archive& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.created.has_value() != b.created.has_value()) return a.created.has_value();
    if (a.created && *a.created != *b.created) return *a.created > *b.created;
    return a.name > b.name;  // the same second: latest's tie-break (core/dump.cpp)
  });
  return archives;
}

std::uint64_t disk_usage(const std::vector<Archive>& archives) {
  std::uint64_t total = 0;
  for (const auto& archive : archives) total += archive.disk_bytes();
  return total;
}

std::optional<util::SystemTime> parse_iso8601_utc(const std::string& text) {
  if (text.size() != 20) return std::nullopt;
  std::tm parts{};
  char zone = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &zone, &used) != 7 ||
      zone != 'Z' || used != 20) {
    return std::nullopt;
  }
  if (parts.tm_mon < 1 || parts.tm_mon > 12 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 ||
      parts.tm_min > 59 || parts.tm_sec > 60) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(::timegm(&parts));
}

std::string format_age(std::chrono::seconds age) {
  const long long seconds = age.count();
  if (seconds < 0) return "future";
  if (seconds < 60) return std::to_string(seconds) + " s";
  if (seconds < 3600) return std::to_string(seconds / 60) + " min";
  if (seconds < 48 * 3600) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 86400) + " d";
}

std::set<fs::path> git_tracked_files(const fs::path& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) return {};
  util::Command command;
  command.argv = {"git", "-C", directory.string(), "ls-files", "-z", "--", "."};
  command.env["LC_ALL"] = "C";  // the "not a git repository" below is matched in English
  util::CommandResult result;
  try {
    result = util::run_command(command);
  } catch (const std::system_error&) {
    if (!inside_git_repository(directory)) return {};
    throw Error(ExitCode::failure,
                "git cannot be run, and " + directory.string() +
                    " is inside a git repository: which files are shared history is unknown",
                "install git");
  }
  if (!result.ok()) {
    if (result.stderr_text.find("not a git repository") != std::string::npos) return {};
    // Anything else (dubious ownership, a broken repository): deleting blind would be the unsafe choice.
    throw Error(ExitCode::failure,
                "git cannot list the tracked files in " + directory.string() + ": " + result.last_error_line());
  }
  std::set<fs::path> tracked;
  const std::string& names = result.stdout_text;
  for (std::size_t start = 0; start < names.size();) {
    const std::size_t end = names.find('\0', start);
    const std::string name = names.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!name.empty()) tracked.insert(directory / name);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return tracked;
}

void remove_archive(const Archive& archive) {
  // A dump's physical snapshot (dump --physical) belongs to it and goes with it; left behind, it
  // would be a few hundred MiB that nothing lists or names any more.
  std::vector<fs::path> paths = {archive.dump_path, archive.metadata_path};
  if (std::error_code ignored; fs::is_regular_file(fs::symlink_status(physical_path_for(archive.dump_path), ignored))) {
    paths.push_back(physical_path_for(archive.dump_path));
  }
  for (const fs::path& path : paths) {
    std::error_code error;
    if (!fs::remove(path, error) && error) {
      throw Error(ExitCode::failure, "cannot remove " + path.string() + ": " + error.message());
    }
    util::fsync_directory(path.parent_path());
  }
}

const char* to_string(PruneAction action) {
  switch (action) {
    case PruneAction::keep_newest: return "kept: among the newest";
    case PruneAction::keep_latest: return "kept: a latest link points at it";
    case PruneAction::keep_tracked: return "kept: tracked by git, it is shared history (git rm it yourself)";
    case PruneAction::keep_unreadable: return "kept: no readable metadata, its age is unknown";
    case PruneAction::keep_not_asked: return "kept: snapshots are pruned only with --snapshots";
    case PruneAction::keep_in_progress:
      return "kept: metadata alone, written less than a minute ago (a dump in progress)";
    case PruneAction::remove: return "older than the newest kept";
    case PruneAction::remove_orphan: return "metadata whose dump is gone";
  }
  return "unknown";
}

std::vector<PruneDecision> plan_prune(const std::vector<Archive>& archives, const PruneOptions& options,
                                      const std::set<fs::path>& tracked_paths,
                                      const std::function<std::chrono::seconds(const fs::path&)>& file_age) {
  std::vector<PruneDecision> decisions;
  decisions.reserve(archives.size());
  // Ranked per environment for dumps, all together for snapshots.
  std::map<std::string, std::vector<std::size_t>> groups;
  for (const Archive& archive : archives) {
    PruneDecision decision{&archive, PruneAction::keep_newest};
    if (archive.kind == ArchiveKind::snapshot && !options.snapshots) {
      decision.action = PruneAction::keep_not_asked;
    } else if (archive.latest) {
      decision.action = PruneAction::keep_latest;
    } else if (!archive.dump_exists) {
      // A writer commits the metadata a moment before its dump; only an old orphan is abandoned.
      decision.action = file_age(archive.metadata_path) >= std::chrono::minutes(1) ? PruneAction::remove_orphan
                                                                                   : PruneAction::keep_in_progress;
    } else if (!archive.metadata || !archive.created) {
      decision.action = PruneAction::keep_unreadable;
    }
    if (decision.action == PruneAction::keep_newest || decision.action == PruneAction::keep_latest) {
      if (archive.metadata && archive.dump_exists) {
        const std::string key = archive.kind == ArchiveKind::dump ? "dump:" + archive.metadata->environment
                                                                  : "snapshot";
        groups[key].push_back(decisions.size());
      }
    }
    decisions.push_back(decision);
  }
  for (auto& [key, members] : groups) {
    std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      const auto& left = *decisions[a].archive;
      const auto& right = *decisions[b].archive;
      // Newest first, by timestamp and then file name: the order in which core/dump.cpp moves the
      // latest links, so two dumps of the same second rank as latest would rank them.
      return std::make_pair(left.metadata->timestamp, left.dump_path.filename().string()) >
             std::make_pair(right.metadata->timestamp, right.dump_path.filename().string());
    });
    // The latest link counts as one of the N, so --keep 1 leaves exactly the dump that restore uses.
    int kept = 0;
    for (std::size_t index : members) {
      if (decisions[index].action == PruneAction::keep_latest) ++kept;
    }
    for (std::size_t index : members) {
      if (decisions[index].action == PruneAction::keep_latest) continue;
      decisions[index].action = kept < options.keep ? PruneAction::keep_newest : PruneAction::remove;
      if (decisions[index].action == PruneAction::keep_newest) ++kept;
    }
  }
  for (auto& decision : decisions) {
    if (removes(decision.action) && (tracked_paths.count(decision.archive->dump_path) > 0 ||
                                     tracked_paths.count(decision.archive->metadata_path) > 0)) {
      decision.action = PruneAction::keep_tracked;
    }
  }
  return decisions;
}

}  // namespace pgseed::core
