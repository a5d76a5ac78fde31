// An exclusive flock(2) on a file or directory, held for the object's lifetime.
//
// flock locks belong to the open file and vanish when the process dies, however it dies, so a lock
// can never be left behind by a killed run.
#pragma once

#include <filesystem>

namespace pgseed::util {

class FileLock {
public:
  // Blocks until the lock is ours. `path` may be a directory. Throws std::system_error.
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

private:
  int fd_ = -1;
};

}  // namespace pgseed::util
