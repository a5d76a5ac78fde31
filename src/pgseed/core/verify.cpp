#include "pgseed/core/verify.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"

#include <cctype>
#include <system_error>

namespace pgseed::core {
namespace fs = std::filesystem;

const char* to_string(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::ok: return "ok";
    case VerifyStatus::missing: return "missing";
    case VerifyStatus::dangling_link: return "dangling-link";
    case VerifyStatus::directory: return "directory";
    case VerifyStatus::not_regular_file: return "not-regular-file";
    case VerifyStatus::unreadable: return "unreadable";
    case VerifyStatus::lfs_pointer: return "lfs-pointer";
    case VerifyStatus::metadata_missing: return "metadata-missing";
    case VerifyStatus::metadata_unreadable: return "metadata-unreadable";
    case VerifyStatus::metadata_invalid: return "metadata-invalid";
    case VerifyStatus::size_mismatch: return "size-mismatch";
    case VerifyStatus::checksum_mismatch: return "checksum-mismatch";
  }
  return "unknown";
}

bool looks_like_lfs_pointer(const std::string& file_start) {
  return file_start.rfind("version https://git-lfs.github.com/spec/", 0) == 0;
}

Error VerifyResult::to_error() const {
  const std::string dump = dump_path.string();
  switch (status) {
    case VerifyStatus::ok: break;
    case VerifyStatus::missing:
      return Error(ExitCode::dump_refused, "dump " + dump + " does not exist",
                   "generate one with `pgseed dump` (target generate-dump), or name an existing file");
    case VerifyStatus::dangling_link:
      return Error(ExitCode::dump_refused, "dump " + dump + " is a link to " + detail + ", which does not exist",
                   "the dump it named was removed; generate one with `pgseed dump` or name an existing file");
    case VerifyStatus::directory:
      return Error(ExitCode::dump_refused, "dump " + dump + " is a directory, not a dump file",
                   "name the .dump file, or use --dump-dir for the directory");
    case VerifyStatus::not_regular_file:
      return Error(ExitCode::dump_refused, "dump " + dump + " is not a regular file");
    case VerifyStatus::unreadable:
      return Error(ExitCode::dump_refused, "dump " + dump + " cannot be read: " + detail,
                   "check the file's permissions for the user running pgseed");
    case VerifyStatus::lfs_pointer:
      return Error(ExitCode::dump_refused, "dump " + dump + " is a Git LFS pointer, not the dump itself",
                   "run git lfs pull");
    case VerifyStatus::metadata_missing:
      return Error(ExitCode::dump_refused, "metadata " + metadata_path.string() + " for dump " + dump + " does not exist",
                   "a dump without its metadata cannot be verified; regenerate it or copy the .metadata.json too");
    case VerifyStatus::metadata_unreadable:
      return Error(ExitCode::dump_refused, "metadata " + metadata_path.string() + " cannot be read: " + detail,
                   "check the file's permissions for the user running pgseed");
    case VerifyStatus::metadata_invalid:
      return Error(ExitCode::dump_refused, "metadata " + metadata_path.string() + " is invalid: " + detail);
    case VerifyStatus::size_mismatch:
      return Error(ExitCode::dump_refused, "dump " + dump + " has the wrong size: " + detail,
                   "the file is truncated or was changed; fetch or regenerate it");
    case VerifyStatus::checksum_mismatch:
      return Error(ExitCode::dump_refused, "dump " + dump + " failed its checksum: " + detail,
                   "the file is corrupted or was changed; fetch or regenerate it");
  }
  return Error(ExitCode::failure, "internal: to_error() on a verified dump");
}

namespace {

std::string reason(const std::error_code& error) {
  std::string text = error.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

VerifyResult verify_dump(const fs::path& dump_path, const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  return verify_dump(dump_path, fs::path(), progress);
}

VerifyResult verify_dump(const fs::path& dump_path, const fs::path& metadata_path,
                         const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  VerifyResult result;
  result.dump_path = dump_path;
  result.metadata_path = metadata_path.empty() ? metadata_path_for(dump_path) : metadata_path;

  std::error_code error;
  const fs::file_status link_status = fs::symlink_status(dump_path, error);
  if (error || !fs::exists(link_status)) {
    result.status = VerifyStatus::missing;
    return result;
  }
  // The link is resolved once, here. Everything after works on the real file, so a latest link that
  // moves meanwhile (a concurrent dump) cannot make the size come from one file and the checksum
  // from another, and restore gets the very file that was checked.
  result.resolved_path = fs::canonical(dump_path, error);
  if (error) {
    if (fs::is_symlink(link_status)) {
      result.status = VerifyStatus::dangling_link;
      std::error_code ignored;
      result.detail = fs::read_symlink(dump_path, ignored).string();
    } else {
      result.status = VerifyStatus::unreadable;
      result.detail = reason(error);
    }
    result.resolved_path.clear();
    return result;
  }
  const fs::file_status status = fs::status(result.resolved_path, error);
  if (error) {
    result.status = VerifyStatus::unreadable;
    result.detail = reason(error);
    return result;
  }
  if (fs::is_directory(status)) {
    result.status = VerifyStatus::directory;
    return result;
  }
  if (!fs::is_regular_file(status)) {
    result.status = VerifyStatus::not_regular_file;
    return result;
  }
  // Through the latest link, the metadata is found by the real file's stem: the two latest links
  // cannot move together, but the versioned pair never changes.
  if (const fs::path beside_real_file = metadata_path_for(result.resolved_path);
      metadata_path.empty() && fs::exists(beside_real_file, error)) {
    result.metadata_path = beside_real_file;
  }
  result.actual_size = static_cast<std::uint64_t>(fs::file_size(result.resolved_path, error));
  if (error) {
    result.status = VerifyStatus::unreadable;
    result.detail = reason(error);
    return result;
  }

  // Opening it now gives "cannot be read" its own answer instead of a wrong size or a raw error later.
  std::string file_start;
  try {
    file_start = util::read_file_prefix(result.resolved_path, 128);
  } catch (const std::system_error& e) {
    result.status = VerifyStatus::unreadable;
    result.detail = reason(e.code());
    return result;
  }
  // An LFS pointer is a small text file; checking first gives the one message that helps.
  if (result.actual_size < 1024 && looks_like_lfs_pointer(file_start)) {
    result.status = VerifyStatus::lfs_pointer;
    return result;
  }

  if (!fs::exists(result.metadata_path, error)) {
    result.status = VerifyStatus::metadata_missing;
    return result;
  }
  try {
    result.metadata = read_metadata(result.metadata_path);
  } catch (const MetadataError& e) {
    result.status = VerifyStatus::metadata_invalid;
    result.detail = e.what();
    return result;
  } catch (const std::system_error& e) {
    result.status = VerifyStatus::metadata_unreadable;
    result.detail = reason(e.code());
    return result;
  }
  if (result.actual_size != result.metadata->size_bytes) {
    result.status = VerifyStatus::size_mismatch;
    result.detail = std::to_string(result.actual_size) + " bytes, metadata says " + std::to_string(result.metadata->size_bytes);
    return result;
  }
  const std::uint64_t total = result.actual_size;
  util::FileDigest digest;
  try {
    digest = util::sha256_file(result.resolved_path, [&](std::uintmax_t done) {
      if (progress) progress(done, total);
    });
  } catch (const std::system_error& e) {
    result.status = VerifyStatus::unreadable;
    result.detail = reason(e.code());
    return result;
  }
  result.actual_checksum = digest.sha256;
  if (digest.sha256 != result.metadata->checksum) {
    result.status = VerifyStatus::checksum_mismatch;
    result.detail = "sha256 " + digest.sha256 + ", metadata says " + result.metadata->checksum;
    return result;
  }
  result.status = VerifyStatus::ok;
  return result;
}

}  // namespace pgseed::core
