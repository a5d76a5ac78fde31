#include "pgseed/pg/database.h"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

// tablewriter::write_raw_line is the raw COPY path that 6.4 and 7.x share: 6.4's stream_to keeps its
// raw line private and its stream_from with a column list has an uninitialised member. 8.x removes
// tablewriter; this file is where that port happens.
#if PQXX_VERSION_MAJOR >= 8
#error "pgseed's COPY path uses pqxx::tablewriter, which libpqxx 8 removed: port Transaction::copy_from"
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

std::string first_value(const Rows& rows, const std::string& sql) {
  if (rows.empty() || rows.front().empty()) throw Error(ExitCode::database, "query returned no rows: " + sql);
  return rows.front().front().value_or(std::string());
}

}  // namespace

struct Connection::Impl {
  std::unique_ptr<pqxx::connection> connection;
};

Connection::Connection(const ConnInfo& info) : impl_(std::make_unique<Impl>()), info_(info) {
  try {
    impl_->connection = std::make_unique<pqxx::connection>(info.keyword_string());
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
  translate_errors([&] {
    pqxx::nontransaction work(*impl_->connection);
    work.exec(sql);
    work.commit();
  });
}

Rows Connection::query(const std::string& sql) {
  return translate_errors([&] {
    pqxx::nontransaction work(*impl_->connection);
    Rows rows = to_rows(work.exec(sql));
    work.commit();
    return rows;
  });
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
  explicit Impl(pqxx::connection& connection) : work(connection) {}
  pqxx::work work;
};

Transaction::Transaction(Connection& connection)
    : impl_(translate_errors([&] { return std::make_unique<Impl>(*connection.impl_->connection); })) {}

Transaction::~Transaction() = default;  // pqxx::work aborts when not committed

void Transaction::execute(const std::string& sql) {
  translate_errors([&] { impl_->work.exec(sql); });
}

Rows Transaction::query(const std::string& sql) {
  return translate_errors([&] { return to_rows(impl_->work.exec(sql)); });
}

std::string Transaction::query_value(const std::string& sql) { return first_value(query(sql), sql); }

void Transaction::commit() {
  translate_errors([&] { impl_->work.commit(); });
}

void Transaction::copy_from(const std::string& quoted_table, const std::vector<std::string>& quoted_columns,
                            const std::function<bool(std::string& buffer)>& next_chunk) {
  translate_errors([&] {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter writer(impl_->work, quoted_table, quoted_columns.begin(), quoted_columns.end());
#pragma GCC diagnostic pop
    std::string buffer;
    bool more = true;
    while (more) {
      buffer.clear();
      more = next_chunk(buffer);
      if (buffer.empty()) continue;
      // write_raw_line adds the final newline itself; the chunk's other lines pass through as they are.
      if (buffer.back() == '\n') buffer.pop_back();
      writer.write_raw_line(buffer);
    }
    writer.complete();
  });
}

}  // namespace pgseed::pg
