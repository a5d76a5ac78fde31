// UTC timestamps in the two spellings pgseed uses.
#pragma once

#include <chrono>
#include <string>

namespace pgseed::util {

using SystemTime = std::chrono::system_clock::time_point;

// 2026-11-21T06:40:01Z (ISO 8601, for metadata)
std::string iso8601_utc(SystemTime time);
// 20261121T064001Z (for file names: sorts by time, no characters that need quoting)
std::string compact_utc(SystemTime time);

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace pgseed::util
