#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/util/sha256.h"

using namespace pgseed;

TEST_CASE("sha256 of known vectors", "[unit][sha256]") {
  CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 of a file streams in chunks and matches the in-memory digest", "[unit][sha256]") {
  util::TemporaryDirectory directory("pgseed-sha-");
  // 3 MiB + 7 bytes: crosses the 1 MiB read buffer boundary several times and ends mid-buffer.
  std::string content;
  content.reserve((3u << 20) + 7);
  for (std::size_t i = 0; i < (3u << 20) + 7; ++i) content.push_back(static_cast<char>((i * 131) % 251));
  const auto path = directory.path() / "data.bin";
  testing::write_text(path, content);

  const auto digest = util::sha256_file(path);
  CHECK(digest.size == content.size());
  CHECK(digest.sha256 == util::sha256_hex(content));

  content[content.size() / 2] ^= 1;
  CHECK(digest.sha256 != util::sha256_hex(content));
}

TEST_CASE("sha256 of a missing file names it", "[unit][sha256]") {
  try {
    util::sha256_file("/nonexistent/pgseed.dump");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/pgseed.dump") != std::string::npos);
  }
}
