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
  missing,            // the dump file does not exist
  lfs_pointer,        // the file is a Git LFS pointer, not the dump
  metadata_missing,
  metadata_invalid,   // unreadable, malformed, or for another file
  size_mismatch,
  checksum_mismatch,
};

const char* to_string(VerifyStatus status);

struct VerifyResult {
  VerifyStatus status = VerifyStatus::ok;
  std::filesystem::path dump_path;      // as given (may be the latest link)
  std::filesystem::path resolved_path;  // the real file behind links
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

}  // namespace pgseed::core
