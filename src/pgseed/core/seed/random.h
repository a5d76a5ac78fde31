// Counter-based randomness for the seed engine.
//
// A value depends only on (profile seed, table, column, row, attempt), never on how many values were
// drawn before it. That is what makes seeding reproducible on any machine and lets one table's row
// count change without touching any table that does not depend on it. No std:: distributions: their
// output differs between standard libraries.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace pgseed::core::seed {

// splitmix64's finaliser: a good 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

constexpr std::uint64_t hash_text(std::string_view text, std::uint64_t basis = 0xcbf29ce484222325ULL) {
  std::uint64_t hash = basis;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;  // FNV-1a
  }
  return mix64(hash);
}

constexpr std::uint64_t combine(std::uint64_t a, std::uint64_t b) { return mix64(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2))); }

// The high 64 bits of the 128-bit product a * b, from four 32x32->64 products: what `below` needs on
// targets without unsigned __int128 (i386, armhf). No sum below can overflow: cross is at most
// (2^32-1) * 3 + (2^32-1)^2 = 2^64 - 1.
constexpr std::uint64_t mul_high64_portable(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t a_low = a & 0xffffffffULL, a_high = a >> 32;
  const std::uint64_t b_low = b & 0xffffffffULL, b_high = b >> 32;
  const std::uint64_t low_low = a_low * b_low;
  const std::uint64_t high_low = a_high * b_low;
  const std::uint64_t low_high = a_low * b_high;
  const std::uint64_t cross = (low_low >> 32) + (high_low & 0xffffffffULL) + low_high;
  return a_high * b_high + (high_low >> 32) + (cross >> 32);
}

#if defined(__SIZEOF_INT128__)
constexpr std::uint64_t mul_high64_native(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
}
#endif

constexpr std::uint64_t mul_high64(std::uint64_t a, std::uint64_t b) {
#if defined(__SIZEOF_INT128__)
  return mul_high64_native(a, b);
#else
  return mul_high64_portable(a, b);
#endif
}

// A short stream of random numbers for one value.
class Draw {
public:
  constexpr explicit Draw(std::uint64_t key) : state_(key) {}
  Draw(std::uint64_t column_key, std::uint64_t row, std::uint32_t attempt)
      : state_(combine(combine(column_key, row), attempt)) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, bound); bound > 0. Multiply-shift: no modulo bias worth mentioning.
  std::uint64_t below(std::uint64_t bound) { return mul_high64(next(), bound); }
  // Standard normal (Box-Muller).
  double normal() {
    double u1 = unit();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = unit();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

private:
  std::uint64_t state_;
};

}  // namespace pgseed::core::seed
