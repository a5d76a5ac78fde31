#include "pgseed/util/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace pgseed::util {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("cannot initialise sha256 (OpenSSL EVP)");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(impl_->ctx, data, size) != 1) {
    throw std::runtime_error("sha256 update failed (OpenSSL EVP)");
  }
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest, &length) != 1) {
    throw std::runtime_error("sha256 finalisation failed (OpenSSL EVP)");
  }
  static const char* const hex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  Sha256 hasher;
  hasher.update(text);
  return hasher.hex_digest();
}

FileDigest sha256_file(const std::filesystem::path& path,
                       const std::function<void(std::uintmax_t)>& progress) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  // 1 MiB reads: large enough that syscalls do not show up next to the hashing itself.
  std::vector<unsigned char> buffer(1 << 20);
  Sha256 hasher;
  FileDigest result;
  std::uintmax_t since_progress = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      throw std::system_error(saved, std::generic_category(), "cannot read " + path.string());
    }
    if (got == 0) break;
    hasher.update(buffer.data(), static_cast<std::size_t>(got));
    result.size += static_cast<std::uintmax_t>(got);
    since_progress += static_cast<std::uintmax_t>(got);
    if (progress && since_progress >= (64u << 20)) {
      progress(result.size);
      since_progress = 0;
    }
  }
  ::close(fd);
  result.sha256 = hasher.hex_digest();
  return result;
}

}  // namespace pgseed::util
