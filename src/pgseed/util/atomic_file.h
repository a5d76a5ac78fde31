// A file that appears under its final name only once it is complete.
//
// Content goes to a hidden temporary file in the same directory (so the rename cannot cross
// filesystems); commit() fsyncs it, renames it into place and fsyncs the directory. Destroying an
// uncommitted AtomicFile removes the temporary file: a crash or a kill leaves at most a dot-file
// whose name says it is unfinished, never a file that looks complete.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string_view>

namespace pgseed::util {

class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where the content is being written. Another process (pg_dump, say) may write here instead of
  // write(); commit() still does the rest.
  const std::filesystem::path& temporary_path() const noexcept { return temporary_path_; }
  const std::filesystem::path& final_path() const noexcept { return final_path_; }

  void write(std::string_view data);
  // Makes the content durable and moves it to the final name. Refuses to overwrite unless asked.
  enum class Overwrite { refuse, allow };
  void commit(Overwrite overwrite = Overwrite::allow);

private:
  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  std::FILE* stream_ = nullptr;
  bool committed_ = false;
};

// Writes a whole small file atomically.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace pgseed::util
