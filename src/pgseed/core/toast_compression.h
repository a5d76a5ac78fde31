// How pgseed's own bulk loads (restore, seeding) compress large values.
//
// Values over about 2 kB are compressed as they are stored (TOAST). PostgreSQL's default, pglz, is
// slow enough to be most of the time spent loading text-heavy data: on the bench dump, 70,000 news
// bodies took 8.5 s of a 9 s restore. lz4 stores them 2-3x faster and reads them back faster. Only
// the on-disk compression changes, never the data, and a column whose schema names a compression
// (ALTER ... SET COMPRESSION, which pg_dump keeps) still gets that one.
#pragma once

namespace pgseed::pg {
class Connection;
class Transaction;
}  // namespace pgseed::pg

namespace pgseed::core {

inline constexpr const char* fast_toast_compression = "lz4";

// True when the server can use it: PostgreSQL 14 or later, built with lz4 (Debian's and the official
// images' are).
bool has_fast_toast_compression(pg::Connection& connection);
bool has_fast_toast_compression(pg::Transaction& transaction);

}  // namespace pgseed::core
