#include "support/catch.h"

#include "pgseed/util/text.h"

#include <string>
#include <utility>
#include <vector>

using pgseed::util::escape_control_characters;

TEST_CASE("control characters are shown as \\xNN, everything else as it is", "[unit][text]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain name.dump", "plain name.dump"},
      {"", ""},
      {"a\nb", "a\\x0ab"},
      {"\x1b[2Jcleared", "\\x1b[2Jcleared"},
      {"tab\there", "tab\\x09here"},
      {"del\x7f", "del\\x7f"},
      {"carriage\rreturn", "carriage\\x0dreturn"},
      {std::string("nul\0byte", 8), "nul\\x00byte"},
      {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"},  // UTF-8 stays readable
  };
  for (const auto& [input, expected] : cases) {
    INFO(expected);
    CHECK(escape_control_characters(input) == expected);
  }
}
