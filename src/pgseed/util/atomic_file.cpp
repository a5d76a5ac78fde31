#include "pgseed/util/atomic_file.h"

#include "pgseed/util/fs.h"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace pgseed::util {
namespace fs = std::filesystem;

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// A symlink cannot be locked; one this old is no longer between its creation and its rename.
constexpr std::time_t abandoned_link_age_seconds = 60;
}  // namespace

AtomicFile::AtomicFile(fs::path final_path) : final_path_(std::move(final_path)) {
  for (int attempt = 0;; ++attempt) {
    temporary_path_ = unique_temporary_path(final_path_);
    UniqueFd fd = checked_fd(::open(temporary_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
                             "cannot create " + temporary_path_.string());
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int saved = errno;
        ::unlink(temporary_path_.c_str());
        throw std::system_error(saved, std::generic_category(), "cannot lock " + temporary_path_.string());
      }
    }
    // Between our open() and our flock() the file was unlocked: a cleaner in another process may have
    // locked it first and removed it. Then the name no longer leads to our file; start over.
    struct stat ours {}, named {};
    if (::fstat(fd.get(), &ours) == 0 && ::lstat(temporary_path_.c_str(), &named) == 0 && same_file(ours, named)) {
      fd_ = std::move(fd);
      return;
    }
    if (attempt == 4) {
      throw std::system_error(ENOENT, std::generic_category(), "cannot keep " + temporary_path_.string());
    }
  }
}

AtomicFile::~AtomicFile() {
  // Removed while still locked, so no cleaner ever sees it unlocked; fd_ closes after this.
  if (!committed_) ::unlink(temporary_path_.c_str());
}

void AtomicFile::write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd_.get(), data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + temporary_path_.string());
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

void AtomicFile::commit(Overwrite overwrite) {
  // fsync through our descriptor covers what another process wrote to temporary_path() too: it is
  // the same inode.
  if (::fsync(fd_.get()) != 0) throw_errno("cannot flush " + temporary_path_.string());
  // The rename happens under the lock: a cleaner never sees a finished temporary as abandoned.
  if (overwrite == Overwrite::refuse) {
    // link() fails with EEXIST instead of silently replacing, which rename() would do.
    if (::link(temporary_path_.c_str(), final_path_.c_str()) != 0) throw_errno("cannot create " + final_path_.string());
    ::unlink(temporary_path_.c_str());
    committed_ = true;
    fsync_directory(final_path_.has_parent_path() ? final_path_.parent_path() : fs::path("."));
  } else {
    durable_rename(temporary_path_, final_path_);
    committed_ = true;
  }
  fd_.close_or_throw("cannot close " + final_path_.string());
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

std::vector<fs::path> remove_abandoned_temporaries(const fs::path& directory) {
  std::vector<fs::path> candidates;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    if (is_temporary_name(it->path().filename().string())) candidates.push_back(it->path());
  }
  std::vector<fs::path> removed;
  const std::time_t now = std::time(nullptr);
  for (const fs::path& path : candidates) {
    struct stat named {};
    if (::lstat(path.c_str(), &named) != 0) continue;
    if (S_ISLNK(named.st_mode)) {
      if (now - named.st_mtime > abandoned_link_age_seconds && ::unlink(path.c_str()) == 0) removed.push_back(path);
      continue;
    }
    if (!S_ISREG(named.st_mode)) continue;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // unreadable, or its owner lives
    // Only the file we hold the lock on: the name may have been reused in the meantime.
    struct stat locked {};
    if (::fstat(fd.get(), &locked) != 0 || ::lstat(path.c_str(), &named) != 0 || !same_file(locked, named)) continue;
    if (::unlink(path.c_str()) == 0) removed.push_back(path);
  }
  return removed;
}

}  // namespace pgseed::util
