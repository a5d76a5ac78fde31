// Small built-in dictionaries for realistic-looking names and text.
#pragma once

#include <string_view>
#include <vector>

namespace pgseed::core::seed {

const std::vector<std::string_view>& first_names();
const std::vector<std::string_view>& last_names();
const std::vector<std::string_view>& words();

}  // namespace pgseed::core::seed
