// Streaming SHA-256 over OpenSSL's EVP interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace pgseed::util {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // Lowercase hex digest. The object cannot be updated afterwards.
  std::string hex_digest();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view text);

struct FileDigest {
  std::string sha256;      // lowercase hex
  std::uintmax_t size = 0;  // bytes hashed
};

// Hashes a file in one pass with a fixed-size buffer, so memory use does not grow with the file.
// Calls `progress(bytes_so_far)` every 64 MiB when given.
FileDigest sha256_file(const std::filesystem::path& path,
                       const std::function<void(std::uintmax_t)>& progress = {});

}  // namespace pgseed::util
