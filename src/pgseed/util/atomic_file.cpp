#include "pgseed/util/atomic_file.h"

#include "pgseed/util/fs.h"

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace pgseed::util {
namespace fs = std::filesystem;

AtomicFile::AtomicFile(fs::path final_path) : final_path_(std::move(final_path)) {
  const fs::path directory = final_path_.has_parent_path() ? final_path_.parent_path() : fs::path(".");
  // A leading dot and a .tmp suffix: never mistaken for a finished file by people, globs or prune.
  temporary_path_ = directory / ("." + final_path_.filename().string() + ".tmp-" + std::to_string(::getpid()));
  const int fd = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + temporary_path_.string());
  stream_ = ::fdopen(fd, "wb");
  if (stream_ == nullptr) {
    const int saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "cannot open " + temporary_path_.string());
  }
}

AtomicFile::~AtomicFile() {
  if (stream_ != nullptr) std::fclose(stream_);
  if (!committed_) ::unlink(temporary_path_.c_str());
}

void AtomicFile::write(std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), stream_) != data.size()) {
    throw std::system_error(errno, std::generic_category(), "cannot write " + temporary_path_.string());
  }
}

void AtomicFile::commit(Overwrite overwrite) {
  if (std::fflush(stream_) != 0 || ::fsync(::fileno(stream_)) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot flush " + temporary_path_.string());
  }
  std::fclose(stream_);
  stream_ = nullptr;
  // The content may also have come from another process writing to temporary_path().
  fsync_path(temporary_path_);
  if (overwrite == Overwrite::refuse) {
    // link() fails with EEXIST instead of silently replacing, which rename() would do.
    if (::link(temporary_path_.c_str(), final_path_.c_str()) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot create " + final_path_.string());
    }
    ::unlink(temporary_path_.c_str());
    fsync_directory(final_path_.has_parent_path() ? final_path_.parent_path() : fs::path("."));
  } else {
    durable_rename(temporary_path_, final_path_);
  }
  committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

}  // namespace pgseed::util
