#include "pgseed/util/fs.h"

#include "pgseed/util/unique_fd.h"
#include "pgseed/util/unique_name.h"

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
  const UniqueFd fd = checked_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "cannot open " + path.string() + " for fsync");
  if (::fsync(fd.get()) != 0) throw_errno("cannot fsync " + path.string());
}

void fsync_directory(const fs::path& directory) {
  const UniqueFd fd = checked_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                                 "cannot open directory " + directory.string() + " for fsync");
  // Some filesystems refuse fsync on directories (EINVAL); the rename is as durable as they allow.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) throw_errno("cannot fsync directory " + directory.string());
}

void durable_rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno("cannot rename " + from.string() + " to " + to.string());
  }
  fsync_directory(to.has_parent_path() ? to.parent_path() : fs::path("."));
}

fs::path unique_temporary_path(const fs::path& final_path) {
  const fs::path directory = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  return directory / ("." + final_path.filename().string() + ".tmp-" + random_hex(8));
}

bool is_temporary_name(const std::string& name) {
  const std::string marker = ".tmp-";
  const std::size_t at = name.rfind(marker);
  if (name.size() < 2 || name[0] != '.' || at == std::string::npos || at == 0) return false;
  const std::string suffix = name.substr(at + marker.size());
  return !suffix.empty() && suffix.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void replace_symlink_atomically(const fs::path& target, const fs::path& link) {
  // A unique hidden name: concurrent runs never replace each other's half-made link, and one left
  // by a kill is recognisable (remove_abandoned_temporaries deletes it once it is old).
  const fs::path temporary = unique_temporary_path(link);
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
