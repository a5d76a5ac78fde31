#pragma once

#include "pgseed/error.h"

#include <string>

namespace pgseed::core::seed {

// A seed profile that cannot be used: names the file, the JSON pointer and what was expected.
inline Error profile_error(const std::string& file, const std::string& pointer, const std::string& message,
                           const std::string& hint = {}) {
  return Error(ExitCode::usage, "seed profile " + file + " at " + (pointer.empty() ? "/" : pointer) + ": " + message,
               hint.empty() ? "docs/seed-profiles.md describes the format" : hint);
}

}  // namespace pgseed::core::seed
