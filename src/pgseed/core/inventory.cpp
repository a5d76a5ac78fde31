#include "pgseed/core/inventory.h"

namespace pgseed::core {

RecordCounts count_records(pg::Connection& connection) {
  // format('%I.%I') quotes exactly where PostgreSQL needs it, so the key works in SQL as written.
  const auto tables = connection.query(R"sql(
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      AND c.relname NOT LIKE 'pgseed\_%'
      AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1)sql");
  RecordCounts counts;
  if (tables.empty()) return counts;
  // One round trip for all tables.
  std::string sql;
  for (const auto& row : tables) {
    const std::string& key = *row[0];
    if (!sql.empty()) sql += " UNION ALL ";
    sql += "SELECT " + connection.quote_literal(key) + ", count(*) FROM " + key;
  }
  for (const auto& row : connection.query(sql)) counts[*row[0]] = std::stoll(*row[1]);
  return counts;
}

}  // namespace pgseed::core
