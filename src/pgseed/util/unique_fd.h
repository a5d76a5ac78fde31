// The one owner of a file descriptor.
//
// Every descriptor pgseed opens goes into a UniqueFd at once, so an exception thrown anywhere later
// (fork, pipe2, a failed write) closes it on the way out instead of leaking it into the next child.
#pragma once

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace pgseed::util {

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }

  // Closes quietly: for descriptors that were only read, or on an error path that already throws.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

  // Closes and reports a failure: for descriptors that were written, where close() can be the first
  // to report that data did not reach the file (NFS, quotas). On Linux the descriptor is gone even
  // when close() fails, EINTR included, so it is never retried.
  void close_or_throw(const std::string& what) {
    if (fd_ < 0) return;
    const int fd = release();
    if (::close(fd) != 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), what);
  }

private:
  int fd_ = -1;
};

// Throws std::system_error when `fd` is negative (the result of a failed open(), say).
inline UniqueFd checked_fd(int fd, const std::string& what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return UniqueFd(fd);
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

inline Pipe make_pipe(int flags, const std::string& what = "cannot create a pipe") {
  int fds[2];
  if (::pipe2(fds, flags) != 0) throw std::system_error(errno, std::generic_category(), what);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace pgseed::util
