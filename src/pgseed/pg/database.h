// The libpqxx wrapper: every libpqxx call in pgseed is in database.cpp.
//
// libpqxx's API moved between 6.4 (Debian 12) and 7.x (newer distributions); keeping it behind this
// small interface means only one file knows which one we were built against.
#pragma once

#include "pgseed/error.h"
#include "pgseed/pg/conninfo.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgseed::pg {

using Value = std::optional<std::string>;  // nullopt is SQL NULL
using Row = std::vector<Value>;
using Rows = std::vector<Row>;

// An SQL error reported by the server, with its SQLSTATE.
class SqlError : public Error {
public:
  SqlError(std::string message, std::string sqlstate)
      : Error(ExitCode::database, std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
  std::string sqlstate_;
};

class Transaction;

class Connection {
public:
  // Throws Error(database) naming the server (never the password) when it cannot connect.
  explicit Connection(const ConnInfo& info);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Outside any transaction (autocommit). `sql` may hold several statements.
  void execute(const std::string& sql);
  Rows query(const std::string& sql);
  // First column of the first row; throws when there is no row.
  std::string query_value(const std::string& sql);

  std::string quote_literal(std::string_view text);
  std::string quote_identifier(std::string_view name);

  int server_version_num();  // e.g. 150018
  const ConnInfo& info() const noexcept { return info_; }

private:
  friend class Transaction;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ConnInfo info_;
};

// A transaction that rolls back unless commit() is called.
class Transaction {
public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void execute(const std::string& sql);
  Rows query(const std::string& sql);
  std::string query_value(const std::string& sql);
  void commit();

  enum class CopyFormat {
    text,             // COPY's text format
    csv_with_header,  // (FORMAT csv, HEADER): the server parses the CSV and skips its header record
  };

  // COPY table (columns) FROM STDIN. `next_chunk` appends the next bytes of COPY data to its
  // (cleared) buffer and returns false once it has nothing more; chunks need not end on a line.
  // A server error names its COPY line: "... (COPY t, line 3, column b: ...)".
  void copy_from(const std::string& quoted_table, const std::vector<std::string>& quoted_columns,
                 CopyFormat format, const std::function<bool(std::string& buffer)>& next_chunk);
  void copy_from(const std::string& quoted_table, const std::vector<std::string>& quoted_columns,
                 const std::function<bool(std::string& buffer)>& next_chunk) {
    copy_from(quoted_table, quoted_columns, CopyFormat::text, next_chunk);
  }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgseed::pg
