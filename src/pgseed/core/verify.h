// Checks a dump against its metadata without touching any database.
//
// Every restore runs this first: a dump that is missing, a Git LFS pointer, without readable metadata
// or with the wrong size or checksum is refused before the target is touched.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/error.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace pgseed::core {

enum class VerifyStatus {
  ok,
  missing,           // nothing at the dump path
  dangling_link,     // the dump path is a symbolic link to nothing (a latest link whose dump is gone)
  directory,         // the dump path is a directory
  not_regular_file,  // a FIFO, socket or device: not something to hash or restore
  unreadable,        // the file is there but cannot be opened or read (permissions, I/O)
  lfs_pointer,       // the file is a Git LFS pointer, not the dump
  metadata_missing,
  metadata_unreadable,  // the metadata file is there but cannot be read
  metadata_invalid,     // not JSON, or a field missing or of the wrong kind. Its "file" field is not
                        // compared with the dump's name: installed copies are renamed, the checksum is what counts
  size_mismatch,
  checksum_mismatch,
};

const char* to_string(VerifyStatus status);

struct VerifyResult {
  VerifyStatus status = VerifyStatus::ok;
  std::filesystem::path dump_path;      // as given (may be the latest link)
  std::filesystem::path resolved_path;  // the real file behind links, resolved once: the size and
                                        // checksum are of this file, and restore must use it, not
                                        // dump_path, whose link another run may move meanwhile
  std::filesystem::path metadata_path;
  std::optional<DumpMetadata> metadata;
  std::string actual_checksum;
  std::uint64_t actual_size = 0;
  std::string detail;  // what exactly is wrong, for the message

  bool ok() const noexcept { return status == VerifyStatus::ok; }
  // The one-line refusal with a hint, for a result that is not ok.
  Error to_error() const;
};

// True when the start of a file is a Git LFS pointer ("version https://git-lfs.github.com/spec/v1").
bool looks_like_lfs_pointer(const std::string& file_start);

VerifyResult verify_dump(const std::filesystem::path& dump_path,
                         const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});
// The same against a metadata file kept elsewhere: a dump fetched into a build tree (ExternalData)
// has its metadata in the project's dump directory. An empty `metadata_path` is the one beside it.
VerifyResult verify_dump(const std::filesystem::path& dump_path, const std::filesystem::path& metadata_path,
                         const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

}  // namespace pgseed::core
