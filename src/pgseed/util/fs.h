// Small filesystem helpers with the durability rules pgseed relies on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pgseed::util {

std::string read_file(const std::filesystem::path& path);

// Reads at most `limit` bytes from the start of a file (for sniffing, e.g. Git LFS pointers).
std::string read_file_prefix(const std::filesystem::path& path, std::size_t limit);

void fsync_path(const std::filesystem::path& path);
void fsync_directory(const std::filesystem::path& directory);

// Renames `from` to `to` (same directory) and makes the rename durable.
void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to);

// `.<name>.tmp-<random hex>` next to `final_path`: hidden, plainly unfinished, and unique wherever it
// is made (see unique_name.h). Nothing is created.
std::filesystem::path unique_temporary_path(const std::filesystem::path& final_path);
// Whether a file name has that form.
bool is_temporary_name(const std::string& name);

// Points `link` at `target` (a relative path is kept relative) by creating the link under a temporary
// name and renaming it over `link`, so readers see either the old or the new target, never neither.
void replace_symlink_atomically(const std::filesystem::path& target, const std::filesystem::path& link);

// A directory that is removed, with its contents, when the object goes out of scope.
class TemporaryDirectory {
public:
  // Creates `<parent>/<prefix>XXXXXX`; parent defaults to $TMPDIR or /tmp.
  explicit TemporaryDirectory(std::string_view prefix, const std::filesystem::path& parent = {});
  // Takes over a directory that exists already (created by a helper process, say).
  struct Adopt {};
  TemporaryDirectory(Adopt, std::filesystem::path existing) noexcept : path_(std::move(existing)) {}
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // Leave the directory on disk (for debugging a failed test, say).
  void keep() noexcept { keep_ = true; }

private:
  std::filesystem::path path_;
  bool keep_ = false;
};

std::filesystem::path temp_directory_root();

}  // namespace pgseed::util
