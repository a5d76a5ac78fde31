#include "pgseed/core/seed/copy_text.h"

#include <stdexcept>

namespace pgseed::core::seed {

void append_copy_escaped(std::string& out, std::string_view value) {
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const char* escaped = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    if (escaped == nullptr) continue;
    out.append(value.data() + plain_from, i - plain_from);
    out += escaped;
    plain_from = i + 1;
  }
  out.append(value.data() + plain_from, value.size() - plain_from);
}

std::optional<std::vector<std::string>> csv_header(std::string_view text, bool at_end) {
  std::vector<std::string> names;
  std::string name;
  bool in_quotes = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        name.push_back('"');
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        name.push_back(c);
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      names.push_back(std::move(name));
      name.clear();
    } else if (c == '\n') {
      names.push_back(std::move(name));
      return names;
    } else if (c != '\r') {
      name.push_back(c);
    }
  }
  if (!at_end) return std::nullopt;
  if (in_quotes) throw std::runtime_error("unterminated quote in the header");
  if (text.empty()) return names;
  names.push_back(std::move(name));
  return names;
}

}  // namespace pgseed::core::seed
