// Text that goes to a terminal.
#pragma once

#include <string>
#include <string_view>

namespace pgseed::util {

// Control characters (and DEL) as \xNN, everything else (UTF-8 included) as it is. Messages name
// files and databases, and a name can hold anything a file system or server allows: an escape
// sequence in a file name must not reach the terminal, and a newline must not split a one-line
// message into two.
std::string escape_control_characters(std::string_view text);

}  // namespace pgseed::util
