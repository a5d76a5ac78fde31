// Sizes and durations as people read them in progress lines and summaries.
#pragma once

#include <cstdint>
#include <string>

namespace pgseed::util {

// "812 bytes", "1.4 KiB", "166.0 MiB", "2.1 GiB"
std::string format_mebibytes(std::uint64_t bytes);
// "0.42 s", "13.1 s", "2 min 05 s"
std::string format_seconds(double seconds);

}  // namespace pgseed::util
