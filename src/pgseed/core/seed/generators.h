// Column value generators of the seed engine.
//
// A generator writes the text of one value for a 1-based row number, using only the Draw it is
// given, so the same (seed, table, column, row) always gives the same value.
#pragma once

#include "pgseed/core/seed/random.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pgseed::core::seed {

class Generator {
public:
  virtual ~Generator() = default;
  // Appends the value's text (not yet escaped for COPY).
  virtual void append(std::string& out, std::uint64_t row, Draw& draw) const = 0;
  // Inside a JSON object: true when the text must be quoted as a JSON string.
  virtual bool json_string() const { return true; }
  // The value of row `row` without any randomness, when the generator is a pure function of the row
  // (a sequence): that is what foreign keys can point at.
  virtual bool is_sequence() const { return false; }
  virtual std::int64_t sequence_value(std::uint64_t row) const { return static_cast<std::int64_t>(row); }
  // The value can be NULL only through the column's null ratio, or always (constant null).
  virtual bool always_null() const { return false; }
};

// What a reference generator needs to know about an earlier generated table.
struct ReferenceTarget {
  std::string table;
  const std::int64_t* row_count = nullptr;  // effective count, set after --set/--scale
  const Generator* column = nullptr;         // a sequence
};

class GeneratorFactory {
public:
  GeneratorFactory(std::string file, std::function<const ReferenceTarget*(const std::string& table, const std::string& column,
                                                                          const std::string& pointer)> find_reference)
      : file_(std::move(file)), find_reference_(std::move(find_reference)) {}

  // Throws profile_error naming the JSON pointer.
  std::unique_ptr<Generator> make(const nlohmann::json& spec, const std::string& pointer) const;

  static const std::vector<std::string>& kinds();

private:
  std::string file_;
  std::function<const ReferenceTarget*(const std::string&, const std::string&, const std::string&)> find_reference_;
};

// Parses "2025-01-01T00:00:00Z" or "2025-01-01" (UTC) into seconds since the epoch.
bool parse_utc_time(const std::string& text, std::int64_t& seconds);
// Parses "5 minutes", "1 day", "90 seconds" or a plain number of seconds.
bool parse_interval(const nlohmann::json& value, std::int64_t& seconds);
// Appends "2025-01-01 00:00:00+00".
void append_timestamp(std::string& out, std::int64_t seconds);

}  // namespace pgseed::core::seed
