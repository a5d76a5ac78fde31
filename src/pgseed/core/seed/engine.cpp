#include "pgseed/core/seed/engine.h"

#include "pgseed/core/seed/copy_text.h"
#include "pgseed/core/seed/profile_error.h"
#include "pgseed/util/background_producer.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/interrupt.h"
#include "pgseed/util/time.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_set>

namespace pgseed::core::seed {

namespace {

struct TableInfo {
  std::string oid;
  std::string quoted_name;                       // schema-qualified, quoted as needed
  std::map<std::string, bool> needs_value;       // column -> NOT NULL without default
  std::set<std::string> columns;
  std::vector<std::vector<std::string>> unique_keys;  // column names of each unique index
};

TableInfo describe_table(pg::Transaction& transaction, pg::Connection& connection, const Profile& profile,
                         const Step& step, const std::string& key_for_table) {
  TableInfo info;
  const auto found = transaction.query("SELECT c.oid, format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                                       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(" +
                                       connection.quote_literal(step.table) + ")");
  if (found.empty() || !found[0][0]) {
    throw profile_error(profile.display_name, step.pointer + "/" + key_for_table,
                        "table '" + step.table + "' does not exist in database " + connection.info().database(),
                        "run pgseed migrate first, or fix the table name");
  }
  info.oid = *found[0][0];
  info.quoted_name = *found[0][1];
  for (const auto& row : transaction.query(
           "SELECT attname, attnotnull AND NOT atthasdef AND attidentity = '' AND attgenerated = '' FROM pg_attribute "
           "WHERE attrelid = " + info.oid + " AND attnum > 0 AND NOT attisdropped")) {
    info.columns.insert(*row[0]);
    info.needs_value[*row[0]] = *row[1] == "t";
  }
  for (const auto& row : transaction.query(
           "SELECT array_to_string(array_agg(a.attname ORDER BY k.ord), ',') FROM pg_index i "
           "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
           "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
           "WHERE i.indrelid = " + info.oid + " AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid")) {
    std::vector<std::string> key;
    std::stringstream names(*row[0]);
    for (std::string name; std::getline(names, name, ',');) key.push_back(name);
    info.unique_keys.push_back(std::move(key));
  }
  return info;
}

// Streams a generated table into COPY chunks, honouring its unique indexes.
class RowSource {
public:
  RowSource(const Profile& profile, const Step& step, const TableInfo& table, std::atomic<std::int64_t>& rows_done)
      : profile_(profile), step_(step), rows_done_(rows_done) {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < step.columns.size(); ++i) index[step.columns[i].name] = i;
    for (const auto& key : table.unique_keys) {
      std::vector<std::size_t> positions;
      for (const auto& name : key) {
        if (index.count(name) == 0) break;
        positions.push_back(index[name]);
      }
      // A unique index over a column we do not generate (a default): the database will judge.
      if (positions.size() != key.size()) continue;
      // Sequences and {n} patterns are unique by construction; checking them would only cost memory.
      bool needs_check = false;
      for (std::size_t position : positions) needs_check = needs_check || !step.columns[position].generator->is_sequence();
      if (needs_check) uniques_.push_back({positions, key, {}});
    }
    fields_.resize(step.columns.size());
  }

  bool next_chunk(std::string& buffer) {
    constexpr std::size_t chunk_bytes = 1 << 20;
    while (row_ <= static_cast<std::uint64_t>(step_.count) && buffer.size() < chunk_bytes) {
      make_row(row_);
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (i > 0) buffer.push_back('\t');
        if (nulls_[i]) buffer += "\\N";
        else append_copy_escaped(buffer, fields_[i]);
      }
      buffer.push_back('\n');
      ++row_;
      ++rows_done_;
    }
    util::throw_if_interrupted();
    return row_ <= static_cast<std::uint64_t>(step_.count);
  }

private:
  struct Unique {
    std::vector<std::size_t> positions;
    std::vector<std::string> names;
    std::unordered_set<std::string> seen;
  };

  void make_column(std::size_t i, std::uint64_t row, std::uint32_t attempt) {
    const ColumnSpec& column = step_.columns[i];
    Draw draw(column.key, row, attempt);
    fields_[i].clear();
    nulls_[i] = column.generator->always_null() || (column.null_ratio > 0 && draw.unit() < column.null_ratio);
    if (!nulls_[i]) column.generator->append(fields_[i], row, draw);
  }

  void make_row(std::uint64_t row) {
    nulls_.assign(fields_.size(), false);
    for (std::size_t i = 0; i < fields_.size(); ++i) make_column(i, row, 0);
    for (auto& unique : uniques_) {
      for (std::uint32_t attempt = 1;; ++attempt) {
        std::string key;
        bool has_null = false;
        for (std::size_t position : unique.positions) {
          has_null = has_null || nulls_[position];
          key += fields_[position];
          key.push_back('\x1f');
        }
        if (has_null || unique.seen.insert(std::move(key)).second) break;  // NULLs never collide
        if (attempt > 1000) {
          std::string names;
          for (const auto& name : unique.names) names += (names.empty() ? "" : ", ") + name;
          throw profile_error(profile_.display_name, step_.pointer,
                              "cannot make row " + std::to_string(row) + " of " + step_.table + " unique on (" + names +
                                  "): its generators have too few distinct values for " + std::to_string(step_.count) + " rows");
        }
        // Draw the key's columns again with a new attempt number: still deterministic.
        for (std::size_t position : unique.positions) make_column(position, row, attempt);
      }
    }
  }

  const Profile& profile_;
  const Step& step_;
  std::atomic<std::int64_t>& rows_done_;
  std::vector<Unique> uniques_;
  std::vector<std::string> fields_;
  std::vector<bool> nulls_;
  std::uint64_t row_ = 1;
};

// The server parses the CSV (COPY ... (FORMAT csv, HEADER)), so the file loads exactly as psql's
// \copy would load it; pgseed reads the header only, to name the columns, and streams the bytes.
void load_csv(pg::Transaction& transaction, pg::Connection& connection, const Profile& profile, const Step& step,
              const TableInfo& table) {
  const std::string pointer = step.pointer + "/csv";
  const std::string what = "CSV file " + step.file.string();
  std::ifstream in(step.file, std::ios::binary);
  if (!in) throw profile_error(profile.display_name, pointer, "cannot read " + what + ": " + std::strerror(errno));
  constexpr std::size_t chunk_bytes = 1 << 20;
  std::string pending;
  auto read_chunk = [&](std::string& buffer) {
    const std::size_t old_size = buffer.size();
    buffer.resize(old_size + chunk_bytes);
    in.read(buffer.data() + old_size, static_cast<std::streamsize>(chunk_bytes));
    buffer.resize(old_size + static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw profile_error(profile.display_name, pointer, "cannot read " + what);
    return !in.eof();
  };
  std::optional<std::vector<std::string>> header;
  try {
    for (bool more = true; !header;) {
      if (more) more = read_chunk(pending);
      header = csv_header(pending, !more);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw profile_error(profile.display_name, pointer, what + ": " + e.what());
  }
  if (header->empty()) throw profile_error(profile.display_name, pointer, what + " is empty");
  std::vector<std::string> columns;
  for (const auto& name : *header) {
    if (table.columns.count(name) == 0) {
      throw profile_error(profile.display_name, pointer,
                          "CSV header of " + step.file.filename().string() + " names column '" + name +
                              "', which table " + step.table + " does not have");
    }
    columns.push_back(connection.quote_identifier(name));
  }
  try {
    transaction.copy_from(table.quoted_name, columns, pg::Transaction::CopyFormat::csv_with_header,
                          [&](std::string& buffer) {
                            util::throw_if_interrupted();
                            if (!pending.empty()) {
                              buffer.swap(pending);
                              return !in.eof();
                            }
                            return read_chunk(buffer);
                          });
  } catch (const pg::SqlError& e) {
    // The server's message names the record ("COPY coins, line 3, column name: ..."): keep it whole.
    // Bad data (SQLSTATE class 22) is the file's fault, like a bad profile; anything else is the
    // database's (a constraint, a lost server), with its usual exit code.
    if (e.sqlstate().rfind("22", 0) == 0) {
      throw profile_error(profile.display_name, pointer, what + ": " + e.what(),
                          "COPY counts CSV records from 1, the header included; fix the file or the table");
    }
    throw Error(e.code(), "seed profile " + profile.display_name + " at " + pointer + ": " + what + ": " + e.what(),
                e.hint());
  }
}

}  // namespace

std::vector<std::string> tables_written_by(const Profile& profile) {
  std::vector<std::string> tables;
  for (const auto& step : profile.steps) {
    if (step->kind != Step::Kind::sql) tables.push_back(step->table);
  }
  return tables;
}

EngineResult run_profile_steps(pg::Connection& connection, pg::Transaction& transaction, const Profile& profile,
                               Reporter& reporter) {
  const auto started = std::chrono::steady_clock::now();
  // Check every generated and loaded table against the schema before writing anything.
  std::map<const Step*, TableInfo> tables;
  for (const auto& step : profile.steps) {
    if (step->kind == Step::Kind::sql) continue;
    const TableInfo info = describe_table(transaction, connection, profile, *step,
                                          step->kind == Step::Kind::generate ? "generate" : "table");
    if (step->kind == Step::Kind::generate) {
      std::set<std::string> generated;
      for (const auto& column : step->columns) {
        if (info.columns.count(column.name) == 0) {
          throw profile_error(profile.display_name, column.pointer,
                              "table " + step->table + " has no column '" + column.name + "'");
        }
        generated.insert(column.name);
      }
      for (const auto& [column, needs_value] : info.needs_value) {
        if (needs_value && generated.count(column) == 0) {
          throw profile_error(profile.display_name, step->pointer + "/columns",
                              "column " + step->table + "." + column + " is NOT NULL and has no default; give it a generator");
        }
      }
    }
    tables[step.get()] = info;
  }

  const bool superuser = transaction.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t";
  std::int64_t rows_total = 0;
  std::atomic<std::int64_t> rows_done{0};
  for (const Step* step : profile.generated_tables()) rows_total += step->count;

  for (const auto& step : profile.steps) {
    util::throw_if_interrupted();
    switch (step->kind) {
      case Step::Kind::sql:
        reporter.info("seeding " + step->file.filename().string());
        try {
          transaction.execute(util::read_file(step->file));
        } catch (const pg::SqlError& e) {
          throw Error(ExitCode::database, "seed file " + step->file.string() + " failed: " + e.what(),
                      "nothing was seeded; fix the file and run again");
        }
        break;
      case Step::Kind::csv:
        reporter.info("loading " + step->file.filename().string() + " into " + step->table);
        load_csv(transaction, connection, profile, *step, tables.at(step.get()));
        break;
      case Step::Kind::generate: {
        const TableInfo& table = tables.at(step.get());
        reporter.info("generating " + std::to_string(step->count) + " rows of " + step->table);
        std::vector<std::string> columns;
        for (const auto& column : step->columns) columns.push_back(connection.quote_identifier(column.name));
        if (superuser) transaction.execute("SET LOCAL session_replication_role = replica");
        RowSource source(profile, *step, table, rows_done);
        try {
          // Rows are generated on a worker thread a chunk or two ahead, so that generating them and
          // the server ingesting the previous chunk overlap.
          util::BackgroundProducer producer([&](std::string& chunk) { return source.next_chunk(chunk); });
          transaction.copy_from(table.quoted_name, columns, [&](std::string& buffer) {
            const bool more = producer.next(buffer);
            // Across all generated tables, so the percentage means "of the whole seed".
            reporter.progress("seeding", static_cast<std::uint64_t>(rows_done.load()),
                              static_cast<std::uint64_t>(rows_total), ProgressUnit::rows);
            return more;
          });
        } catch (const pg::SqlError& e) {
          throw Error(ExitCode::database, "generating " + step->table + " (" + profile.display_name + " " + step->pointer +
                                              ") failed: " + e.what());
        }
        if (superuser) transaction.execute("SET LOCAL session_replication_role = origin");
        // Explicit values do not advance serial sequences; the app's next insert must not collide.
        for (const auto& column : step->columns) {
          const auto sequence = transaction.query("SELECT pg_get_serial_sequence(" + connection.quote_literal(table.quoted_name) +
                                                  ", " + connection.quote_literal(column.name) + ")");
          if (sequence.empty() || !sequence[0][0]) continue;
          transaction.execute("SELECT setval(" + connection.quote_literal(*sequence[0][0]) + ", max(" +
                              connection.quote_identifier(column.name) + ")) FROM " + table.quoted_name +
                              " HAVING max(" + connection.quote_identifier(column.name) + ") IS NOT NULL");
        }
        break;
      }
    }
  }
  reporter.progress_done();
  EngineResult result;
  result.generated_rows = rows_done.load();
  result.seconds = util::seconds_since(started);
  return result;
}

}  // namespace pgseed::core::seed
