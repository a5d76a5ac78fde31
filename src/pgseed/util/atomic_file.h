// A file that appears under its final name only once it is complete.
//
// Content goes to a hidden temporary file in the same directory (so the rename cannot cross
// filesystems); commit() fsyncs it, renames it into place and fsyncs the directory. Destroying an
// uncommitted AtomicFile removes the temporary file: a crash or a kill leaves at most a dot-file
// whose name says it is unfinished, never a file that looks complete.
//
// What a kill leaves is cleaned up later: the temporary is named `.<name>.tmp-<random hex>` (unique
// across PIDs, containers and hosts sharing the directory) and holds an exclusive flock(2) for as long
// as the AtomicFile lives. The lock goes away with the process however it dies, so a temporary whose
// lock is free has no owner any more, and remove_abandoned_temporaries() may delete it.
//
// On NFS the kernel emulates flock with POSIX record locks, which belong to the process and are all
// dropped when it closes *any* descriptor of the file. There, a process that opens temporary_path()
// itself (to hash it, say) and closes it again loses the lock until commit(); another process's
// pg_dump writing to it does not matter.
#pragma once

#include "pgseed/util/unique_fd.h"

#include <filesystem>
#include <string_view>
#include <vector>

namespace pgseed::util {

class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where the content is being written. Another process (pg_dump, say) may write here instead of
  // write(); commit() still does the rest, and the lock is ours all along (it is held through our
  // own descriptor, whoever else opens the file).
  const std::filesystem::path& temporary_path() const noexcept { return temporary_path_; }
  const std::filesystem::path& final_path() const noexcept { return final_path_; }

  void write(std::string_view data);
  // Makes the content durable and moves it to the final name. Refuses to overwrite unless asked.
  // Throws when any step fails, a failed close() included.
  enum class Overwrite { refuse, allow };
  void commit(Overwrite overwrite = Overwrite::allow);

private:
  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  UniqueFd fd_;  // written through, and the holder of the lock until the temporary is gone
  bool committed_ = false;
};

// Writes a whole small file atomically.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Removes the temporaries in `directory` that a dead process left: the `.<name>.tmp-<hex>` files
// whose lock is free, and `.<name>.tmp-<hex>` symlinks (from replace_symlink_atomically, which cannot
// be locked) older than a minute. Locked temporaries and every other file are left alone. Returns
// what it removed. A directory that does not exist has nothing to remove.
std::vector<std::filesystem::path> remove_abandoned_temporaries(const std::filesystem::path& directory);

}  // namespace pgseed::util
