// COPY text format (what the seed engine streams) and the header of a CSV file (what reference data comes in).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgseed::core::seed {

// Appends `value` escaped for COPY's text format: backslash, tab, newline and carriage return.
void append_copy_escaped(std::string& out, std::string_view value);

// The column names in a CSV file's header record. The server parses the rest of the file (COPY with
// FORMAT csv, HEADER); pgseed reads only the header, to know which columns the COPY names. Quoted names
// may hold commas, quotes and newlines, as in RFC 4180. Returns nullopt while `text` holds no whole
// record and more may follow (`at_end` false); throws std::runtime_error for an unterminated quote.
std::optional<std::vector<std::string>> csv_header(std::string_view text, bool at_end);

}  // namespace pgseed::core::seed
