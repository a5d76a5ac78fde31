#include "support/catch.h"

#include "pgseed/core/seed/random.h"

#include <vector>

using namespace pgseed::core::seed;

namespace {

// Inputs where a carry between the 32-bit halves matters, then pseudo-random ones.
std::vector<std::uint64_t> operands() {
  std::vector<std::uint64_t> values = {0,
                                       1,
                                       2,
                                       0xffffffffULL,
                                       0x100000000ULL,
                                       0x1ffffffffULL,
                                       0x7fffffffffffffffULL,
                                       0x8000000000000000ULL,
                                       0x8000000000000001ULL,
                                       0xffffffff00000000ULL,
                                       0xfffffffeffffffffULL,
                                       0xffffffffffffffffULL};
  Draw draw(20250101);
  for (int i = 0; i < 300; ++i) {
    const std::uint64_t x = draw.next();
    values.push_back(x);
    values.push_back(x >> (x % 64));  // small ones too, as bounds are
  }
  return values;
}

}  // namespace

TEST_CASE("the portable 64x64 high product is exact", "[unit][seed]") {
  // Known products, independent of any 128-bit type.
  CHECK(mul_high64_portable(0, 0xffffffffffffffffULL) == 0);
  CHECK(mul_high64_portable(0xffffffffffffffffULL, 0xffffffffffffffffULL) == 0xfffffffffffffffeULL);
  CHECK(mul_high64_portable(0x100000000ULL, 0x100000000ULL) == 1);
  CHECK(mul_high64_portable(0xffffffffULL, 0xffffffffULL) == 0);
  CHECK(mul_high64_portable(0x8000000000000000ULL, 2) == 1);
  CHECK(mul_high64_portable(0x1ffffffffULL, 0xffffffff80000001ULL) == 0x1fffffffeULL);
  static_assert(mul_high64_portable(0xffffffffffffffffULL, 3) == 2);

#if defined(__SIZEOF_INT128__)
  const auto values = operands();
  std::size_t compared = 0;
  for (const std::uint64_t a : values) {
    for (const std::uint64_t b : values) {
      if (mul_high64_portable(a, b) != mul_high64_native(a, b)) {
        INFO(a << " * " << b);
        CHECK(mul_high64_portable(a, b) == mul_high64_native(a, b));
      }
      ++compared;
    }
  }
  CHECK(compared == values.size() * values.size());
#else
  WARN("no unsigned __int128 on this target: only the known products were checked");
#endif
}

// Recorded from the generator before the portable path existed (x86-64, unsigned __int128): a
// profile must seed the same rows on every target, 32-bit ones included.
TEST_CASE("the generator's draws are the recorded ones", "[unit][seed]") {
  struct Known {
    std::uint64_t key, row;
    std::uint32_t attempt;
    std::uint64_t bound, first, second, next;
  };
  const std::vector<Known> known = {
      {14093788773529931827ULL, 1ULL, 0, 10ULL, 8ULL, 8ULL, 5832183516141716178ULL},
      {14093788773529931827ULL, 2ULL, 0, 1000000ULL, 344982ULL, 521287ULL, 692378207985793840ULL},
      {2903361583883820785ULL, 12345ULL, 3, 18446744073709551615ULL, 6937234323265527466ULL, 14818975867575125765ULL,
       12276554932441059665ULL},
      {42ULL, 0ULL, 0, 3ULL, 1ULL, 0ULL, 13251044433661235652ULL},
      {18446744073709551615ULL, 7ULL, 1, 9223372036854775809ULL, 4081787686701033842ULL, 1838935514024849649ULL,
       15917694849414560961ULL},
  };
  CHECK(hash_text("users.email") == 14093788773529931827ULL);
  CHECK(hash_text("orders.qty") == 2903361583883820785ULL);
  for (const auto& k : known) {
    INFO("key " << k.key << " row " << k.row << " bound " << k.bound);
    Draw draw(k.key, k.row, k.attempt);
    CHECK(draw.below(k.bound) == k.first);
    CHECK(draw.below(k.bound) == k.second);
    CHECK(draw.next() == k.next);
    // The same draws through the portable product.
    Draw again(k.key, k.row, k.attempt);
    CHECK(mul_high64_portable(again.next(), k.bound) == k.first);
    CHECK(mul_high64_portable(again.next(), k.bound) == k.second);
  }
}
