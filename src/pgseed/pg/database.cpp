#include "pgseed/pg/database.h"

#include <libpq-fe.h>
#include <pqxx/pqxx>

// COPY goes through libpq itself. libpqxx has no COPY call that takes options: 6.4's tablewriter and
// 7.x's stream_to both write "COPY t (cols) FROM STDIN" themselves, so CSV with a header cannot be
// asked for; 7.0 removed tablewriter; 6.4's stream_to keeps its raw line writing private and its
// stream_from with a column list reads an uninitialised member. What every libpqxx from 6.4 to 8.0
// does give is largeobject's protected raw_connection(dbtransaction): the transaction's PGconn.
//
// libpqxx 8 needs C++20 and changed its exception hierarchy and result/row types; pgseed is C++17 and
// has been built against 6.4 and 7.x only.
#if PQXX_VERSION_MAJOR >= 8
#error "libpqxx 8 needs C++20 and changed its exception and result types; pgseed supports libpqxx 6.4 and 7.x"
#endif

namespace pgseed::pg {
namespace {

// libpqxx's messages are libpq's: "ERROR:  relation \"x\" does not exist\nLINE 1: ...". One line is
// what we print, so keep the first line and drop the severity prefix.
std::string first_line(std::string text) {
  for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
    if (text.rfind(prefix, 0) == 0) text.erase(0, std::char_traits<char>::length(prefix));
  }
  const auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

template <typename Function>
auto translate_errors(Function&& function) -> decltype(function()) {
  try {
    return function();
  } catch (const pqxx::sql_error& e) {
    throw SqlError(first_line(e.what()), e.sqlstate());
  } catch (const pqxx::broken_connection& e) {
    throw Error(ExitCode::database, "lost the connection to the server: " + first_line(e.what()));
  } catch (const pqxx::failure& e) {
    throw Error(ExitCode::database, first_line(e.what()));
  }
}

#if PQXX_VERSION_MAJOR >= 7
Rows to_rows(const pqxx::result& result) {
  Rows rows;
  rows.reserve(result.size());
  for (const auto& row : result) {
    Row out;
    out.reserve(row.size());
    for (const auto& field : row) {
      if (field.is_null()) out.emplace_back(std::nullopt);
      else out.emplace_back(std::string(field.c_str(), field.size()));
    }
    rows.push_back(std::move(out));
  }
  return rows;
}
#endif

std::string first_value(const Rows& rows, const std::string& sql) {
  if (rows.empty() || rows.front().empty()) throw Error(ExitCode::database, "query returned no rows: " + sql);
  return rows.front().front().value_or(std::string());
}

// The PGconn under a transaction. largeobject is deprecated in 7.x, but only its constructors are
// marked; this class never constructs one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct RawConnection : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& transaction) { return raw_connection(transaction); }
};
#pragma GCC diagnostic pop

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// The server's message, and its context: for COPY that is "COPY t, line 3, column b: ..." (the line
// counts records, the header included), which is what tells the user where the bad row is.
[[noreturn]] void throw_copy_error(PGconn* connection, const PGresult* result) {
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) {
    const std::string message = first_line(PQerrorMessage(connection));
    if (PQstatus(connection) == CONNECTION_BAD) {
      throw Error(ExitCode::database, "lost the connection to the server: " + message);
    }
    throw Error(ExitCode::database, message.empty() ? "COPY failed" : message);
  }
  std::string message = primary;
  if (const char* context = PQresultErrorField(result, PG_DIAG_CONTEXT)) message += " (" + first_line(context) + ")";
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  throw SqlError(message, sqlstate ? sqlstate : "");
}

// Runs `sql` on the transaction's connection with libpq itself. libpqxx 6.4 leaks the PGresult of a
// statement during which the connection broke (make_result asks the dead connection for its encoding
// and throws before the result is owned), which is what happens to the running statement when a
// SIGTERM shuts the embedded server down; its message is then "Could not obtain client encoding"
// instead of the server's. Owning the result from the start fixes both.
ResultPtr exec_raw(PGconn* connection, const std::string& sql) {
  ResultPtr result(PQexec(connection, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (result && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
  // The connection's message starts with the server's FATAL (why it ended the session); the result's
  // holds only libpq's "server closed the connection unexpectedly".
  if (PQstatus(connection) == CONNECTION_BAD) {
    throw Error(ExitCode::database, "lost the connection to the server: " + first_line(PQerrorMessage(connection)));
  }
  if (!result) throw Error(ExitCode::database, first_line(PQerrorMessage(connection)));
  const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  throw SqlError(first_line(PQresultErrorMessage(result.get())), sqlstate ? sqlstate : "");
}

Rows to_rows(const PGresult* result) {
  Rows rows;
  const int row_count = PQntuples(result), field_count = PQnfields(result);
  rows.reserve(static_cast<std::size_t>(row_count));
  for (int r = 0; r < row_count; ++r) {
    Row out;
    out.reserve(static_cast<std::size_t>(field_count));
    for (int f = 0; f < field_count; ++f) {
      if (PQgetisnull(result, r, f)) out.emplace_back(std::nullopt);
      else out.emplace_back(std::string(PQgetvalue(result, r, f), static_cast<std::size_t>(PQgetlength(result, r, f))));
    }
    rows.push_back(std::move(out));
  }
  return rows;
}

#if PQXX_VERSION_MAJOR < 7
// libpqxx 6.4 leaks the same way for statements outside a transaction, and has no dbtransaction
// there to reach the PGconn through. Every change of its PGconn goes through the connection policy
// (connect, drop, disconnect), so a policy that records each one always holds the live PGconn.
// libpqxx 7 owns the result before anything can throw: it keeps its own exec.
class TrackingPolicy : public pqxx::connect_direct {
public:
  explicit TrackingPolicy(const std::string& options) : connect_direct(options), slot_(next_slot) {}
  handle do_startconnect(handle orig) override { return track(connect_direct::do_startconnect(orig)); }
  handle do_completeconnect(handle orig) override { return track(connect_direct::do_completeconnect(orig)); }
  handle do_dropconnect(handle orig) noexcept override { return track(connect_direct::do_dropconnect(orig)); }
  handle do_disconnect(handle orig) noexcept override { return track(connect_direct::do_disconnect(orig)); }
  // Where the next policy constructed on this thread records its PGconn: libpqxx constructs the policy
  // itself, from the options string only.
  static thread_local PGconn** next_slot;

private:
  handle track(handle conn) noexcept {
    *slot_ = conn;
    return conn;
  }
  PGconn** slot_;
};
thread_local PGconn** TrackingPolicy::next_slot = nullptr;
using PqxxConnection = pqxx::basic_connection_base<TrackingPolicy>;
#else
using PqxxConnection = pqxx::connection;
#endif

// Reads every remaining result so that the connection is idle again; returns the first error.
ResultPtr drain_results(PGconn* connection) {
  ResultPtr error(nullptr, &PQclear);
  while (ResultPtr result{PQgetResult(connection), &PQclear}) {
    const auto status = PQresultStatus(result.get());
    if (!error && status != PGRES_COMMAND_OK) error = std::move(result);
  }
  return error;
}

}  // namespace

struct Connection::Impl {
  PGconn* raw = nullptr;  // libpqxx 6.4 only: kept current by TrackingPolicy
  std::unique_ptr<PqxxConnection> connection;
};

Connection::Connection(const ConnInfo& info) : impl_(std::make_unique<Impl>()), info_(info) {
  try {
#if PQXX_VERSION_MAJOR < 7
    TrackingPolicy::next_slot = &impl_->raw;
#endif
    impl_->connection = std::make_unique<PqxxConnection>(info.keyword_string());
  } catch (const std::exception& e) {
    const std::string reason = redact_secrets_of(info.keyword_string(), first_line(e.what()));
    const bool authentication = reason.find("password authentication failed") != std::string::npos ||
                                reason.find("no password supplied") != std::string::npos ||
                                reason.find("authentication failed") != std::string::npos;
    throw Error(ExitCode::database, "cannot connect to " + info.redacted() + ": " + reason,
                authentication ? "give the password in ~/.pgpass (or the file PGPASSFILE names), or in PGPASSWORD; "
                                 "pgseed hands it to its tools through the environment, never argv"
                               : "check --database-url / DATABASE_URL, or leave both unset to use the embedded cluster");
  }
}

Connection::~Connection() = default;

void Connection::execute(const std::string& sql) {
#if PQXX_VERSION_MAJOR < 7
  exec_raw(impl_->raw, sql);
#else
  translate_errors([&] {
    pqxx::nontransaction work(*impl_->connection);
    work.exec(sql);
    work.commit();
  });
#endif
}

Rows Connection::query(const std::string& sql) {
#if PQXX_VERSION_MAJOR < 7
  return to_rows(exec_raw(impl_->raw, sql).get());
#else
  return translate_errors([&] {
    pqxx::nontransaction work(*impl_->connection);
    Rows rows = to_rows(work.exec(sql));
    work.commit();
    return rows;
  });
#endif
}

std::string Connection::query_value(const std::string& sql) { return first_value(query(sql), sql); }

std::string Connection::quote_literal(std::string_view text) {
  return impl_->connection->quote(std::string(text));
}

std::string Connection::quote_identifier(std::string_view name) {
  return impl_->connection->quote_name(std::string(name));
}

int Connection::server_version_num() { return impl_->connection->server_version(); }

struct Transaction::Impl {
  explicit Impl(PqxxConnection& connection) : work(connection) {}
  pqxx::work work;
};

Transaction::Transaction(Connection& connection)
    : impl_(translate_errors([&] { return std::make_unique<Impl>(*connection.impl_->connection); })) {}

Transaction::~Transaction() = default;  // pqxx::work aborts when not committed

void Transaction::execute(const std::string& sql) { exec_raw(RawConnection::of(impl_->work), sql); }

Rows Transaction::query(const std::string& sql) {
  return to_rows(exec_raw(RawConnection::of(impl_->work), sql).get());
}

std::string Transaction::query_value(const std::string& sql) { return first_value(query(sql), sql); }

void Transaction::commit() {
  translate_errors([&] { impl_->work.commit(); });
}

void Transaction::copy_from(const std::string& quoted_table, const std::vector<std::string>& quoted_columns,
                            CopyFormat format, const std::function<bool(std::string& buffer)>& next_chunk) {
  std::string sql = "COPY " + quoted_table + " (";
  for (std::size_t i = 0; i < quoted_columns.size(); ++i) sql += (i > 0 ? ", " : "") + quoted_columns[i];
  sql += ") FROM STDIN";
  if (format == CopyFormat::csv_with_header) sql += " (FORMAT csv, HEADER)";

  PGconn* connection = RawConnection::of(impl_->work);
  {
    const ResultPtr started(PQexec(connection, sql.c_str()), &PQclear);
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) throw_copy_error(connection, started.get());
  }
  try {
    std::string buffer;
    bool more = true;
    while (more) {
      buffer.clear();
      more = next_chunk(buffer);
      if (!buffer.empty() && PQputCopyData(connection, buffer.data(), static_cast<int>(buffer.size())) != 1) {
        throw_copy_error(connection, nullptr);
      }
    }
  } catch (...) {
    // Whatever stopped us (an interrupt, a bad record, a lost server), the server must leave COPY
    // mode before the transaction can roll back; its "COPY from stdin failed" is not the news.
    if (PQputCopyEnd(connection, "pgseed stopped sending COPY data") == 1) drain_results(connection);
    throw;
  }
  if (PQputCopyEnd(connection, nullptr) != 1) throw_copy_error(connection, nullptr);
  if (const ResultPtr error = drain_results(connection)) throw_copy_error(connection, error.get());
}

}  // namespace pgseed::pg
