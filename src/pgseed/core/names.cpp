#include "pgseed/core/names.h"

#include "pgseed/error.h"

namespace pgseed::core {
namespace {
bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_alnum(name.front())) return false;
  for (const char c : name) {
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void check_name(std::string_view kind, const std::string& name) {
  if (is_valid_name(name)) return;
  std::string shown;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) shown += "\\x" + std::string(1, "0123456789abcdef"[byte >> 4]) + "0123456789abcdef"[byte & 15];
    else shown += c;
  }
  throw Error(ExitCode::usage, std::string(kind) + " name '" + shown + "' is not valid",
              "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

void check_database_name(const std::string& name) {
  if (name.empty()) throw Error(ExitCode::usage, "database name is empty");
  if (name.size() > max_identifier_bytes) {
    throw Error(ExitCode::usage,
                "database name '" + name + "' is " + std::to_string(name.size()) + " bytes long; PostgreSQL allows 63",
                "the server would silently cut it to '" + utf8_prefix(name, max_identifier_bytes) + "'; choose a shorter name");
  }
}

std::string utf8_prefix(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace pgseed::core
