// The names users give pgseed, checked by one rule in one place.
//
// Environment and snapshot names become parts of file names and are joined to directories, so a
// name like "../../tmp/x" must never get that far. Every command checks through these functions;
// none has a rule of its own.
//
// Database names are PostgreSQL identifiers: at most 63 bytes. A longer name is silently truncated
// by the server, so pgseed refuses it instead of reporting a name the server does not have. Names
// pgseed derives from a database name (scratch copies, say) are cut on a UTF-8 character boundary,
// because a name cut in the middle of a character is "invalid multibyte character" for the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pgseed::core {

// [A-Za-z0-9][A-Za-z0-9._-]{0,63}
bool is_valid_name(std::string_view name);

// Throws Error(usage) naming `kind` ("environment", "snapshot") and what is wrong.
void check_name(std::string_view kind, const std::string& name);

inline constexpr std::size_t max_identifier_bytes = 63;  // NAMEDATALEN - 1

// Throws Error(usage) for an empty database name or one longer than 63 bytes.
void check_database_name(const std::string& name);

// The longest prefix of `text` of at most `max_bytes` bytes that does not split a UTF-8 character.
std::string utf8_prefix(const std::string& text, std::size_t max_bytes);

}  // namespace pgseed::core
