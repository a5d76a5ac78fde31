#include "pgseed/util/text.h"

#include <cstdio>

namespace pgseed::util {

std::string escape_control_characters(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char buffer[5];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
      escaped += buffer;
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace pgseed::util
