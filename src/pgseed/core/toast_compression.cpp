#include "pgseed/core/toast_compression.h"

#include "pgseed/pg/database.h"

#include <string>

namespace pgseed::core {

namespace {
// No row before PostgreSQL 14, which has no default_toast_compression.
std::string probe() {
  return std::string("SELECT coalesce((SELECT '") + fast_toast_compression +
         "' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'), false)";
}
}  // namespace

bool has_fast_toast_compression(pg::Connection& connection) { return connection.query_value(probe()) == "t"; }
bool has_fast_toast_compression(pg::Transaction& transaction) { return transaction.query_value(probe()) == "t"; }

}  // namespace pgseed::core
