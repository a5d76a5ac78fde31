// Random tokens for names that must never collide: temporary files, scratch databases, dump files.
//
// A PID or a timestamp is not unique enough: PIDs repeat across containers and CI runners, and two
// hosts writing to one shared directory can start in the same second. Random bytes from the kernel
// make a collision practically impossible, wherever the name is made.
#pragma once

#include <cstddef>
#include <string>

namespace pgseed::util {

// `bytes` random bytes as lowercase hex (2 * bytes characters), from getrandom(2).
std::string random_hex(std::size_t bytes);

}  // namespace pgseed::util
