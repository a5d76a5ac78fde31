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
  std::uint64_t below(std::uint64_t bound) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
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
