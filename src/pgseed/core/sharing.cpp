#include "pgseed/core/sharing.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/physical.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/subprocess.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A template with %(algo) and %(hash), or a base that gets /SHA256/<hash>.
std::string expand_location(const std::string& location, const std::string& sha256) {
  if (location.find("%(hash)") == std::string::npos) {
    std::string base = location;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return base + "/" + object_algorithm + "/" + sha256;
  }
  return replace_all(replace_all(location, "%(algo)", object_algorithm), "%(hash)", sha256);
}

// %XX -> the byte, as curl (so CMake's file(DOWNLOAD), so ExternalData) reads a file:// url: a store
// written as file:///team%20dumps must be the directory fetch-dumps reads, not a literal "%20". A
// '%' not followed by two hex digits stays, as curl leaves it.
std::string percent_decode(const std::string& text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

// file:///srv/store -> /srv/store; file://localhost/srv/store as well.
fs::path file_url_path(const std::string& url) {
  std::string rest = url.substr(std::string("file://").size());
  if (starts_with(rest, "localhost/")) rest = rest.substr(std::string("localhost").size());
  if (rest.empty() || rest[0] != '/') {
    throw Error(ExitCode::usage, "store " + url + " is not a file:// url with an absolute path",
                "write file:///absolute/path (three slashes)");
  }
  return percent_decode(rest);
}

bool is_http(const std::string& location) { return starts_with(location, "http://") || starts_with(location, "https://"); }

// https://user:secret@host/... would put the secret on curl's command line and into messages.
void refuse_credentials_in_url(const std::string& url) {
  const std::size_t authority = url.find("://") + 3;
  const std::size_t end = url.find('/', authority);
  if (url.substr(authority, end == std::string::npos ? std::string::npos : end - authority).find('@') != std::string::npos) {
    throw Error(ExitCode::usage, "store url " + url.substr(0, authority) + "***" + " carries credentials",
                "credentials in a url end up in argv and logs; put them in ~/.netrc (or NETRC=FILE) instead");
  }
}

// SHA-256 of a file, or empty when it cannot be read.
std::string hash_or_empty(const fs::path& path, std::uint64_t* size = nullptr) {
  try {
    const auto digest = util::sha256_file(path);
    if (size != nullptr) *size = digest.size;
    return digest.sha256;
  } catch (const std::exception&) {
    return {};
  }
}

// Copies `source` to `target` atomically, hashing the bytes as they are written. Objects are made
// read-only: build trees link to them, and a write through such a link would corrupt the store.
void copy_verified(const fs::path& source, const fs::path& target, const std::string& sha256,
                   util::AtomicFile::Overwrite overwrite, Reporter& reporter) {
  std::ifstream in(source, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(), "cannot open " + source.string());
  }
  std::error_code error;
  const std::uint64_t total = fs::file_size(source, error);
  util::AtomicFile out(target);
  util::Sha256 digest;
  std::vector<char> buffer(1 << 20);
  std::uint64_t done = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    digest.update(buffer.data(), got);
    out.write(std::string_view(buffer.data(), got));
    done += got;
    reporter.progress("copying to " + target.parent_path().parent_path().string(), done, total);
  }
  reporter.progress_done();
  if (in.bad()) throw std::system_error(EIO, std::generic_category(), "cannot read " + source.string());
  if (const std::string copied = digest.hex_digest(); copied != sha256) {
    throw Error(ExitCode::dump_refused,
                "file " + source.string() + " does not match its content link: sha256 " + copied + ", link says " + sha256,
                "the file changed or is corrupted; regenerate it with pgseed dump");
  }
  ::chmod(out.temporary_path().c_str(), 0444);
  out.commit(overwrite);
}

std::string curl_failure(const util::CommandResult& result) {
  std::string line = result.last_error_line();
  if (line.rfind("curl: ", 0) == 0) line = line.substr(6);
  if (line.empty()) line = "curl exited with code " + std::to_string(result.exit_code);
  return line;
}

void put_over_http(const std::string& url, const fs::path& file, Reporter& reporter) {
  refuse_credentials_in_url(url);
  util::Command command;
  // --netrc-optional: credentials, if any, come from ~/.netrc (or the file $NETRC names, below),
  // never from argv. "Expect:" turns off 100-continue, which servers without it answer with a stall.
  command.argv = {"curl", "--fail", "--netrc-optional", "--connect-timeout", "10", "--retry", "2",
                  "-H", "Expect:", "-H", "Content-Type: application/octet-stream", "--upload-file", file.string()};
  // curl (7.88, Debian 12) reads only ~/.netrc, not $NETRC; the file's path is no secret.
  if (const char* netrc = std::getenv("NETRC"); netrc != nullptr && *netrc != '\0') {
    command.argv.push_back("--netrc-file");
    command.argv.push_back(netrc);
  }
  if (reporter.interactive()) {
    command.argv.push_back("--progress-bar");
    command.stderr_mode = util::Stream::inherit;  // curl's own bar, on the terminal
  } else {
    command.argv.push_back("--silent");
    command.argv.push_back("--show-error");
  }
  command.argv.push_back("--output");
  command.argv.push_back("/dev/null");
  command.argv.push_back(url);
  util::CommandResult result;
  try {
    result = util::run_command(command);
  } catch (const std::system_error&) {
    throw Error(ExitCode::failure, "curl cannot be started to publish to " + url,
                "install curl (scripts/bootstrap.sh does), or publish to a directory store");
  }
  if (!result.ok()) {
    throw Error(ExitCode::failure, "publishing to " + url + " failed: " + curl_failure(result),
                "check that the server accepts PUT there, and credentials in ~/.netrc");
  }
}

}  // namespace

Sharing parse_sharing(const std::string& text) {
  if (text == "lfs") return Sharing::lfs;
  if (text == "externaldata") return Sharing::externaldata;
  throw Error(ExitCode::usage, "sharing '" + text + "' is not lfs or externaldata",
              "--sharing (PGSEED_SHARING) is lfs (the default) or externaldata");
}

const char* to_string(Sharing sharing) { return sharing == Sharing::lfs ? "lfs" : "externaldata"; }

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(';', start);
    std::string item = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!item.empty()) items.push_back(item);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return items;
}

std::vector<fs::path> SharingOptions::local_stores() const {
  std::vector<fs::path> stores = object_stores;
  const std::string suffix = "/%(algo)/%(hash)";
  for (const auto& url : url_templates) {
    if (starts_with(url, "file://") && url.size() > suffix.size() &&
        url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) {
      try {
        stores.push_back(file_url_path(url.substr(0, url.size() - suffix.size())));
      } catch (const Error&) {
        // Not a local path pgseed can use; ExternalData may still make sense of it.
      }
    }
  }
  return stores;
}

fs::path content_link_path(const fs::path& dump_directory, const std::string& environment) {
  return dump_directory / (latest_dump_stem(environment) + dump_extension + content_link_extension);
}

fs::path physical_content_link_path(const fs::path& dump_directory, const std::string& environment) {
  return dump_directory / (latest_dump_stem(environment) + physical_extension + content_link_extension);
}

std::string read_content_link(const fs::path& link) {
  std::string text;
  try {
    text = util::read_file_prefix(link, 256);
  } catch (const std::system_error&) {
    std::error_code error;
    if (!fs::exists(link, error)) {
      throw Error(ExitCode::dump_refused, "content link " + link.string() + " does not exist",
                  "write it with pgseed dump --sharing externaldata (PGSEED_SHARING=externaldata), then commit it");
    }
    throw Error(ExitCode::dump_refused, "content link " + link.string() + " cannot be read");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (!is_sha256_hex(text)) {
    throw Error(ExitCode::dump_refused, "content link " + link.string() + " is not one lowercase sha256 line",
                "it holds the dump's sha256 in lowercase hex and a newline; regenerate it with pgseed dump");
  }
  return text;
}

void write_content_link(const fs::path& link, const std::string& sha256) {
  util::write_file_atomically(link, sha256 + "\n");
}

fs::path object_path(const fs::path& store, const std::string& sha256) { return store / object_algorithm / sha256; }

bool is_store_object(const fs::path& path) {
  return path.parent_path().filename() == object_algorithm && is_sha256_hex(path.filename().string());
}

void check_object_store(const SharingOptions& sharing) {
  if (sharing.mode != Sharing::externaldata) return;
  const auto stores = sharing.local_stores();
  if (stores.empty()) return;
  const fs::path directory = stores.front() / object_algorithm;
  const std::string hint = "PGSEED_OBJECT_STORES (--object-store) must name directories pgseed can write";
  std::error_code error;
  // By doing, as for the dump directory: permission bits would say yes to root on a read-only mount.
  if (!fs::create_directories(directory, error) && error) {
    throw Error(ExitCode::usage, "object store " + stores.front().string() + " cannot be created: " + error.message(), hint);
  }
  const fs::path probe = directory / (".pgseed-probe-" + std::to_string(::getpid()));
  const bool writable = static_cast<bool>(std::ofstream(probe));
  const int write_errno = errno;
  fs::remove(probe, error);
  if (!writable) {
    throw Error(ExitCode::usage,
                "object store " + stores.front().string() + " is not writable: " + std::strerror(write_errno), hint);
  }
}

StoreOutcome store_object(const fs::path& store, const fs::path& file, const std::string& sha256, Reporter& reporter) {
  const fs::path object = object_path(store, sha256);
  std::error_code error;
  fs::create_directories(object.parent_path(), error);
  if (error) {
    throw Error(ExitCode::failure, "object store " + store.string() + " cannot be created: " + error.message(),
                "PGSEED_OBJECT_STORES (--object-store) must name directories pgseed can write");
  }
  bool corrupted = false;
  if (fs::exists(object, error)) {
    // Content-addressed: a good object is the same bytes, so it stays (other build trees link to it).
    if (hash_or_empty(object) == sha256) return StoreOutcome::kept;
    corrupted = true;
    reporter.warning("object " + object.string() + " in the store is corrupted; replacing it with a verified copy");
  }
  try {
    copy_verified(file, object, sha256,
                  corrupted ? util::AtomicFile::Overwrite::allow : util::AtomicFile::Overwrite::refuse, reporter);
  } catch (const std::system_error& e) {
    // Another run put the same object there meanwhile: content addressing says it is ours too.
    if (e.code().value() == EEXIST && hash_or_empty(object) == sha256) return StoreOutcome::kept;
    throw;
  }
  return corrupted ? StoreOutcome::repaired : StoreOutcome::added;
}

fs::path share_dump_object(const SharingOptions& sharing, const fs::path& dump, const std::string& sha256,
                           Reporter& reporter) {
  const auto stores = sharing.local_stores();
  if (stores.empty()) {
    reporter.warning("no local object store configured (PGSEED_OBJECT_STORES); the dump is only in " +
                     dump.parent_path().string() + ": publish it with pgseed publish --to STORE");
    return {};
  }
  const auto outcome = store_object(stores.front(), dump, sha256, reporter);
  const fs::path object = object_path(stores.front(), sha256);
  reporter.info(std::string(outcome == StoreOutcome::kept ? "object already in store: " : "stored object ") +
                object.string());
  return object;
}

void ignore_dumps_in_git(const fs::path& dump_directory) {
  // With ExternalData, git keeps the content links and the metadata; the dumps and their physical
  // snapshots live in the stores. pgseed writes the rules itself, so that `git add dumps` cannot
  // commit one by mistake (with the repository's LFS rule it would even land in LFS, the quota this
  // mode exists to avoid). A rule already there stays; a missing one is added (a .gitignore from
  // before physical snapshots were shared has only *.dump).
  const fs::path ignore = dump_directory / ".gitignore";
  const std::vector<std::string> rules = {"*.dump", std::string("*") + physical_extension};
  std::string content;
  std::error_code error;
  if (fs::exists(ignore, error)) content = util::read_file(ignore);
  const auto has_rule = [&](const std::string& rule) {
    std::size_t start = 0;
    while (start < content.size()) {
      std::size_t end = content.find('\n', start);
      if (end == std::string::npos) end = content.size();
      if (content.compare(start, end - start, rule) == 0) return true;
      start = end + 1;
    }
    return false;
  };
  std::string missing;
  for (const auto& rule : rules) {
    if (!has_rule(rule)) missing += rule + "\n";
  }
  if (missing.empty()) return;
  if (!content.empty() && content.back() != '\n') content += "\n";
  content += "# pgseed, PGSEED_SHARING=externaldata: dumps and snapshots live in object stores; git keeps the .sha256 links\n" +
             missing;
  util::write_file_atomically(ignore, content);
}

fs::path physical_snapshot_beside(const VerifyResult& result) {
  if (!is_store_object(result.resolved_path)) return physical_path_for(result.resolved_path);
  // A store object given as it is (reset and restore with --sharing externaldata find the dump so):
  // the snapshot's object is in the same store, named by its hash.
  if (is_store_object(result.dump_path) && result.metadata && result.metadata->physical) {
    return result.dump_path.parent_path() / result.metadata->physical->checksum;
  }
  return physical_path_for(result.dump_path);
}

Error physical_refusal_for(const fs::path& archive, const std::string& problem) {
  std::error_code error;
  const fs::path real = fs::canonical(archive, error);
  if (!error && is_store_object(real)) {
    return Error(ExitCode::dump_refused, problem,
                 "the object store holds a corrupted copy: delete " + real.string() +
                     " and fetch again (cmake --build <build> --target fetch-dumps)");
  }
  return Error(ExitCode::dump_refused, problem,
               "the dump itself is fine; fetch or regenerate the snapshot (pgseed dump --physical)");
}

Error refusal_for(const VerifyResult& result) {
  Error error = result.to_error();
  const bool content_wrong =
      result.status == VerifyStatus::checksum_mismatch || result.status == VerifyStatus::size_mismatch;
  if (!content_wrong || !is_store_object(result.resolved_path)) return error;
  const std::string named = result.resolved_path.filename().string();
  if (result.metadata && result.metadata->checksum == named) {
    return Error(error.code(), error.what(),
                 "the object store holds a corrupted copy: delete " + result.resolved_path.string() +
                     " and fetch again (cmake --build <build> --target fetch-dumps)");
  }
  return Error(error.code(), std::string(error.what()) + " (object " + named.substr(0, 12) + " is not the dump the metadata names)",
               "the content link and the metadata disagree; pull both from the same commit, or regenerate the dump");
}

std::string default_publish_store(const SharingOptions& sharing) {
  if (!sharing.url_templates.empty()) return sharing.url_templates.front();
  if (!sharing.object_stores.empty()) return sharing.object_stores.front().string();
  throw Error(ExitCode::usage, "no store to publish to",
              "give --to STORE (a directory, file:// or http(s):// url), or set PGSEED_URL_TEMPLATES or PGSEED_OBJECT_STORES");
}

namespace {

// Publishes the object `link` names: from the first of `candidates` that hashes right (a corrupted
// copy is skipped, never sent) to `location`.
PublishedObject publish_object(const fs::path& link, const std::vector<fs::path>& own_copies,
                               const PublishRequest& request, const std::string& location, Reporter& reporter) {
  PublishedObject result;
  result.sha256 = read_content_link(link);
  std::vector<fs::path> candidates = own_copies;
  for (const auto& store : request.sharing.local_stores()) candidates.push_back(object_path(store, result.sha256));
  std::error_code error;
  for (const auto& candidate : candidates) {
    if (!fs::exists(candidate, error)) continue;
    std::uint64_t size = 0;
    reporter.info("checking " + candidate.string());
    const std::string found = hash_or_empty(candidate, &size);
    if (found == result.sha256) {
      result.source = fs::canonical(candidate, error);
      if (error) result.source = candidate;
      result.size = size;
      break;
    }
    reporter.warning(candidate.string() + " is not the object the content link names (sha256 " +
                     (found.empty() ? "unreadable" : found.substr(0, 12)) + "), skipped");
  }
  if (result.source.empty()) {
    throw Error(ExitCode::dump_refused,
                "object " + std::string(object_algorithm) + "/" + result.sha256 + " (" + link.filename().string() +
                    ") is not in " + request.dump_directory.string() + " nor in a local object store",
                "run pgseed dump here, or fetch it first (cmake --build <build> --target fetch-dumps)");
  }

  if (is_http(location)) {
    result.destination = expand_location(location, result.sha256);
    reporter.info("uploading " + human_size(result.size) + " to " + result.destination);
    put_over_http(result.destination, result.source, reporter);
    return result;
  }
  fs::path object;
  if (location.find("%(hash)") != std::string::npos) {
    const std::string expanded = expand_location(location, result.sha256);
    object = starts_with(expanded, "file://") ? file_url_path(expanded) : fs::path(expanded);
  } else {
    const fs::path store = starts_with(location, "file://") ? file_url_path(location) : fs::path(location);
    object = object_path(store, result.sha256);
  }
  result.destination = object.string();
  // store_object wants <store>/SHA256/<hash>; a template may lay objects out otherwise.
  if (is_store_object(object) && object.filename() == result.sha256) {
    result.already_there = store_object(object.parent_path().parent_path(), result.source, result.sha256, reporter) ==
                           StoreOutcome::kept;
  } else {
    fs::create_directories(object.parent_path());
    if (fs::exists(object, error) && hash_or_empty(object) == result.sha256) {
      result.already_there = true;
    } else {
      copy_verified(result.source, object, result.sha256, util::AtomicFile::Overwrite::allow, reporter);
    }
  }
  return result;
}

}  // namespace

PublishResult publish_latest(const PublishRequest& request, Reporter& reporter) {
  const fs::path link = content_link_path(request.dump_directory, request.environment);
  // Before anything is hashed: a missing link is the first thing to say.
  read_content_link(link);
  const std::string location = request.to.empty() ? default_publish_store(request.sharing) : request.to;
  // Before anything is said or sent: the url shows up in messages.
  if (is_http(location)) refuse_credentials_in_url(location);
  if (!is_http(location) && location.find("://") != std::string::npos && !starts_with(location, "file://")) {
    throw Error(ExitCode::usage, "store " + location + " is not a directory, file:// or http(s):// url",
                "for S3, publish to a directory and copy it with aws s3 cp (see README, Sharing dumps with ExternalData)");
  }

  // What to send: the producer's latest file, else a copy in a local store.
  PublishResult result;
  static_cast<PublishedObject&>(result) =
      publish_object(link, {latest_dump_path(request.dump_directory, request.environment)}, request, location, reporter);
  // The physical snapshot travels with its dump when the latest dump has one (dump --physical writes
  // its link, a dump without removes it).
  const fs::path physical_link = physical_content_link_path(request.dump_directory, request.environment);
  std::error_code error;
  if (fs::exists(fs::symlink_status(physical_link, error))) {
    const fs::path latest_physical =
        request.dump_directory / (latest_dump_stem(request.environment) + physical_extension);
    result.physical = publish_object(physical_link, {latest_physical}, request, location, reporter);
  }
  return result;
}

}  // namespace pgseed::core
