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

std::vector<CsvRecord> parse_csv(std::string_view text) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false, in_quotes = false, field_started = false;
  std::size_t line = 1, quote_line = 0;
  auto end_field = [&] {
    if (!quoted && field.empty()) record.emplace_back(std::nullopt);
    else record.emplace_back(field);
    field.clear();
    quoted = false;
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_quotes = quoted = field_started = true;
        quote_line = line;
        break;
      case ',': end_field(); break;
      case '\r': break;
      case '\n':
        ++line;
        end_field();
        records.push_back(std::move(record));
        record.clear();
        break;
      default:
        field.push_back(c);
        field_started = true;
    }
  }
  if (in_quotes) throw std::runtime_error("unterminated quote starting on line " + std::to_string(quote_line));
  if (field_started || !record.empty()) {
    end_field();
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace pgseed::core::seed
