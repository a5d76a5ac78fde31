#include "pgseed/util/fs.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace pgseed::util {
namespace fs = std::filesystem;

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw std::system_error(errno, std::generic_category(), "cannot read " + path.string());
  return out.str();
}

std::string read_file_prefix(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  std::string data(limit, '\0');
  in.read(data.data(), static_cast<std::streamsize>(limit));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + path.string() + " for fsync");
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "cannot fsync " + path.string());
  }
  ::close(fd);
}

void fsync_directory(const fs::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open directory " + directory.string() + " for fsync");
  // Some filesystems refuse fsync on directories (EINVAL); the rename is as durable as they allow.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "cannot fsync directory " + directory.string());
  }
  ::close(fd);
}

void durable_rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno("cannot rename " + from.string() + " to " + to.string());
  }
  fsync_directory(to.has_parent_path() ? to.parent_path() : fs::path("."));
}

void replace_symlink_atomically(const fs::path& target, const fs::path& link) {
  fs::path temporary = link;
  temporary += ".tmp-" + std::to_string(::getpid());
  ::unlink(temporary.c_str());
  if (::symlink(target.c_str(), temporary.c_str()) != 0) {
    throw_errno("cannot create link " + temporary.string());
  }
  if (::rename(temporary.c_str(), link.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw std::system_error(saved, std::generic_category(), "cannot move link " + link.string());
  }
  fsync_directory(link.has_parent_path() ? link.parent_path() : fs::path("."));
}

fs::path temp_directory_root() {
  const char* tmpdir = std::getenv("TMPDIR");
  return (tmpdir != nullptr && *tmpdir != '\0') ? fs::path(tmpdir) : fs::path("/tmp");
}

TemporaryDirectory::TemporaryDirectory(std::string_view prefix, const fs::path& parent) {
  const fs::path base = parent.empty() ? temp_directory_root() : parent;
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) throw_errno("cannot create a temporary directory in " + base.string());
  path_ = fs::path(buffer.data());
}

TemporaryDirectory::~TemporaryDirectory() {
  if (keep_ || path_.empty()) return;
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

}  // namespace pgseed::util
