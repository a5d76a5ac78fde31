// COPY text format (what the seed engine streams) and CSV (what reference data comes in).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgseed::core::seed {

// Appends `value` escaped for COPY's text format: backslash, tab, newline and carriage return.
void append_copy_escaped(std::string& out, std::string_view value);

using CsvRecord = std::vector<std::optional<std::string>>;  // nullopt: an unquoted empty field (NULL)

// Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines). As in PostgreSQL's CSV
// format, an unquoted empty field is NULL and a quoted one ("") is an empty string. Throws
// std::runtime_error naming the line of an unterminated quote.
std::vector<CsvRecord> parse_csv(std::string_view text);

}  // namespace pgseed::core::seed
