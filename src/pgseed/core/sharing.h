// Sharing dumps through CMake's ExternalData instead of Git LFS.
//
// Git keeps a content link, `<env>-seeded-latest.dump.sha256` (the dump's SHA-256 in lowercase hex
// and a newline, ExternalData's format), next to the metadata. The dump itself is an object named by
// that hash in object stores: local directories laid out as `<store>/SHA256/<hash>`, and URL
// templates (`https://host/dumps/%(algo)/%(hash)`) that the fetch-dumps target reads from.
//
// ExternalData checks what it downloads against the hash, but not an object it finds in a local
// store; pgseed verifies every fetched file against the metadata itself (verify.h), and names the
// store object when that is what is corrupted.
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

enum class Sharing { lfs, externaldata };

// "lfs" or "externaldata"; Error(usage) otherwise.
Sharing parse_sharing(const std::string& text);
const char* to_string(Sharing sharing);

struct SharingOptions {
  Sharing mode = Sharing::lfs;
  std::vector<std::filesystem::path> object_stores;  // local directories, searched and filled in order
  std::vector<std::string> url_templates;            // with %(algo) and %(hash)

  // The local stores: object_stores, then the directories of file:// templates of the form
  // file://<dir>/%(algo)/%(hash). The dump's object goes into the first.
  std::vector<std::filesystem::path> local_stores() const;
};

// Splits a list setting (PGSEED_OBJECT_STORES, ...): CMake's `;`, without empty entries.
std::vector<std::string> split_list(const std::string& text);

inline constexpr const char* object_algorithm = "SHA256";
inline constexpr const char* content_link_extension = ".sha256";

// dumps/dev-seeded-latest.dump.sha256
std::filesystem::path content_link_path(const std::filesystem::path& dump_directory, const std::string& environment);
// dumps/dev-seeded-latest.pgdata.tar.zst.sha256: the physical snapshot's link (dump --physical). It
// exists exactly when the latest dump has a snapshot: a dump without one removes it, so fetch-dumps
// never brings an archive of older data.
std::filesystem::path physical_content_link_path(const std::filesystem::path& dump_directory,
                                                 const std::string& environment);
// The hash a content link names. Error(dump_refused) naming the file when it is missing or not one
// 64-digit lowercase hex line.
std::string read_content_link(const std::filesystem::path& link);
// Writes the link atomically: "<hash>\n".
void write_content_link(const std::filesystem::path& link, const std::string& sha256);

// <store>/SHA256/<hash>
std::filesystem::path object_path(const std::filesystem::path& store, const std::string& sha256);
// Whether `path` looks like an object in a store (its directory is SHA256, its name 64 hex digits).
bool is_store_object(const std::filesystem::path& path);

// Before a dump does any work: the store the object will go into (the first local one) can be
// created and written. Error(usage) naming it otherwise; no stores at all is fine (a warning later).
void check_object_store(const SharingOptions& sharing);

enum class StoreOutcome { added, kept, repaired };
// Puts `file` (whose SHA-256 must be `sha256`) into `store` as <store>/SHA256/<hash>, atomically. An
// object that is already there and hashes right is kept as it is; one that does not is replaced
// (and said). The copy is hashed as it is written: a source that does not match is an error, never
// an object.
StoreOutcome store_object(const std::filesystem::path& store, const std::filesystem::path& file,
                          const std::string& sha256, Reporter& reporter);

// What `pgseed dump` adds with --sharing externaldata, once the dump and its latest links exist:
// the object in the first local store, and `dumps/.gitignore` keeping the .dump files out of git.
// Returns the object's path (empty when no local store is configured: a warning says so).
std::filesystem::path share_dump_object(const SharingOptions& sharing, const std::filesystem::path& dump,
                                        const std::string& sha256, Reporter& reporter);
// Keeps the .dump files and the physical snapshots (.pgdata.tar.zst) out of git.
void ignore_dumps_in_git(const std::filesystem::path& dump_directory);
// The physical snapshot to check with a verified dump: beside the dump's real file, as its metadata
// is; for a fetched dump (the real file is a store object) beside the fetched name, where
// fetch-dumps puts the snapshot's object (<build>/pgseed/dumps/<env>-seeded-latest.pgdata.tar.zst).
// For a store object given as the dump itself, the snapshot's object in that store.
std::filesystem::path physical_snapshot_beside(const VerifyResult& result);
// The refusal for a physical snapshot that failed its check (`problem`, from check_physical_snapshot).
// When the archive is a store object, the hint names it, as refusal_for does for the dump.
Error physical_refusal_for(const std::filesystem::path& archive, const std::string& problem);

// The refusal for a dump that failed verification. When the file is an object of a local store (the
// fetched file is a link into one), the hint names that object and says to delete it: ExternalData
// would otherwise hand out the same corrupted object again and again.
Error refusal_for(const VerifyResult& result);

struct PublishRequest {
  std::filesystem::path dump_directory;
  std::string environment = "dev";
  SharingOptions sharing;
  std::string to;  // a directory, file://..., http(s)://...; a base or a template; empty: the default
};

struct PublishedObject {
  std::string sha256;
  std::uint64_t size = 0;
  std::filesystem::path source;  // the file that was published
  std::string destination;       // where the object now is (a path or a URL)
  bool already_there = false;    // a directory store held a good copy already
};

// The dump's object, and the physical snapshot's when its content link exists.
struct PublishResult : PublishedObject {
  std::optional<PublishedObject> physical;
};

// The store publish uses without --to: the first URL template (where others read from), else the
// first local store. Error(usage) when nothing is configured.
std::string default_publish_store(const SharingOptions& sharing);

// Copies the environment's latest object (named by its content link; the file is hashed first, so a
// corrupted one is never published), then the physical snapshot's object when its content link
// exists, to a store: a directory or file:// URL (as store_object), or an http(s):// URL with a PUT
// through curl (WebDAV-style servers; credentials from ~/.netrc, never in the URL).
PublishResult publish_latest(const PublishRequest& request, Reporter& reporter);

}  // namespace pgseed::core
