#include "pgseed/core/replace.h"

#include "pgseed/core/names.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/util/unique_name.h"

#include <algorithm>
#include <chrono>
#include <regex>
#include <thread>

namespace pgseed::core {
namespace {

// SQLSTATE 55006: object_in_use ("database is being accessed by other users").
constexpr const char* object_in_use = "55006";

// Client sessions only: autovacuum workers show up in pg_stat_activity too (typically right after a
// big restore), and PostgreSQL makes them leave by itself when the database is renamed or dropped.
std::string other_clients_of(pg::Connection& admin, const std::string& database) {
  return "FROM pg_stat_activity WHERE datname = " + admin.quote_literal(database) +
         " AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
}

int count_sessions(pg::Connection& admin, const std::string& database) {
  return std::stoi(admin.query_value("SELECT count(*) " + other_clients_of(admin, database)));
}

void terminate_sessions(pg::Connection& admin, const std::string& database) {
  admin.execute("SELECT pg_terminate_backend(pid) " + other_clients_of(admin, database));
}

// Settings made with ALTER DATABASE ... SET belong to the database, and the swap puts a new database
// in its place: the new one gets them too (the protection mark pgseed.protected among them), so that
// only the data changes. pg_db_role_setting keeps them as "name=value"; a value is given back as it
// was written where that parses (lists such as search_path), and as a string literal otherwise.
//
// "As written" only when the value is a plain list of words and quoted items: the database's owner
// chooses these values, and pasted unquoted into our (superuser) session, "x; CREATE ROLE ..." would
// run as SQL, and "default" would remove the setting instead of copying it.
bool is_plain_setting_list(const std::string& value) {
  // An item: a double-quoted identifier, a single-quoted string (no backslashes), or a bare word.
  static const std::string item = R"re(("(?:[^"\x00-\x1f]|"")*"|'(?:[^'\\\x00-\x1f]|'')*'|[A-Za-z0-9_.]+))re";
  static const std::regex list(R"re(\s*)re" + item + R"re((\s*,\s*)re" + item + R"re()*\s*)re");
  std::string word = value;
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return word != "default" && std::regex_match(value, list);
}

void carry_database_settings(pg::Connection& admin, const std::string& from, const std::string& to) {
  const auto rows = admin.query(
      "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
      "WHERE s.setrole = 0 AND d.datname = " + admin.quote_literal(from));
  for (const auto& row : rows) {
    const std::string entry = row[0].value_or("");
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) continue;
    const std::string name = entry.substr(0, equals), value = entry.substr(equals + 1);
    const std::string alter = "ALTER DATABASE " + admin.quote_identifier(to) + " SET " + name + " TO ";
    if (!is_plain_setting_list(value)) {
      admin.execute(alter + admin.quote_literal(value));
      continue;
    }
    try {
      admin.execute(alter + value);
    } catch (const pg::SqlError&) {
      admin.execute(alter + admin.quote_literal(value));
    }
  }
}

// The database's own properties, which a dump does not hold and CREATE DATABASE does not copy:
// owner, connection limit, comment and grants. An app that connects as the database's owner, or a
// team that revoked CONNECT from PUBLIC, must find them as they were. Runs before the swap: when the
// owner cannot be given (we are not a member of that role), the target is still untouched.
void carry_database_properties(pg::Connection& admin, const std::string& from, const std::string& to) {
  const std::string quoted_to = admin.quote_identifier(to);
  const auto rows = admin.query(
      "SELECT pg_get_userbyid(d.datdba), d.datconnlimit::text, shobj_description(d.oid, 'pg_database'), "
      "(d.datacl IS NULL)::text FROM pg_database d WHERE d.datname = " + admin.quote_literal(from));
  if (rows.empty()) return;
  const std::string owner = rows[0][0].value_or("");
  try {
    admin.execute("ALTER DATABASE " + quoted_to + " OWNER TO " + admin.quote_identifier(owner));
  } catch (const pg::SqlError& e) {
    throw Error(ExitCode::database, "cannot give the new copy of database " + from + " its owner " + owner + ": " + e.what(),
                "connect as a superuser or a member of role " + owner + "; " + from + " was not changed");
  }
  if (const std::string limit = rows[0][1].value_or("-1"); limit != "-1") {
    admin.execute("ALTER DATABASE " + quoted_to + " CONNECTION LIMIT " + limit);
  }
  if (rows[0][2]) {
    admin.execute("COMMENT ON DATABASE " + quoted_to + " IS " + admin.quote_literal(*rows[0][2]));
  }
  if (rows[0][3].value_or("true") == "true") return;  // default privileges, as the new copy has
  // Explicit grants: start from none (not even the owner's or PUBLIC's defaults) and grant each one
  // the old database had. aclexplode gives grantee 0 for PUBLIC.
  admin.execute("REVOKE ALL ON DATABASE " + quoted_to + " FROM PUBLIC");
  admin.execute("REVOKE ALL ON DATABASE " + quoted_to + " FROM " + admin.quote_identifier(owner));
  const auto grants = admin.query(
      "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, a.privilege_type, "
      "a.is_grantable::text FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = " + admin.quote_literal(from));
  for (const auto& grant : grants) {
    admin.execute("GRANT " + grant[1].value_or("") + " ON DATABASE " + quoted_to + " TO " + grant[0].value_or("") +
                  (grant[2].value_or("false") == "true" ? " WITH GRANT OPTION" : ""));
  }
}

}  // namespace

HelperDatabase::HelperDatabase(pg::Connection& admin, std::string name, Reporter& reporter)
    : admin_(admin), name_(std::move(name)), lock_(admin, LockScope::owner, name_, reporter, "the owner lock of " + name_) {}

HelperDatabase::~HelperDatabase() {
  if (!ours_) return;
  try {
    drop_database(admin_, name_);
  } catch (...) {
    // Best effort on the way out; the next run removes it once this run's lock is gone.
  }
}

void HelperDatabase::create(const std::string& options) {
  admin_.execute("CREATE DATABASE " + admin_.quote_identifier(name_) + options);
  ours_ = true;
}

void HelperDatabase::drop() {
  drop_database(admin_, name_);
  ours_ = false;
}

Error sessions_error(const std::string& database, int sessions) {
  return Error(ExitCode::refused,
               "database " + database + " has " + std::to_string(sessions) + " other connected session" +
                   (sessions == 1 ? "" : "s") + "; refusing to replace it",
               "close them (stop your app), or pass --force to terminate them");
}

TargetState inspect_target(pg::Connection& admin, const std::string& database, ConnectedSessions sessions) {
  TargetState state;
  const auto settings = admin.query("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = " +
                                    admin.quote_literal(database));
  state.exists = !settings.empty();
  if (!state.exists) return state;
  if (sessions == ConnectedSessions::refuse) {
    if (const int count = count_sessions(admin, database); count > 0) throw sessions_error(database, count);
  }
  // Keep the target's encoding and locale: the swap should change the data, nothing else.
  state.create_options = " ENCODING " + admin.quote_literal(settings[0][0].value_or("UTF8")) + " LC_COLLATE " +
                         admin.quote_literal(settings[0][1].value_or("C")) + " LC_CTYPE " +
                         admin.quote_literal(settings[0][2].value_or("C"));
  return state;
}

std::string swap_in(pg::Connection& admin, HelperDatabase& scratch, const std::string& database, bool target_exists,
                    ConnectedSessions sessions, Reporter& reporter) {
  if (target_exists) {
    carry_database_settings(admin, database, scratch.name());
    carry_database_properties(admin, database, scratch.name());
  }
  // The previous copy's owner lock is taken before the rename gives it its name.
  HelperDatabase previous(admin, helper_name(database, "previous"), reporter);
  for (int attempt = 0;; ++attempt) {
    if (target_exists) {
      if (sessions == ConnectedSessions::terminate) terminate_sessions(admin, database);
      else if (const int count = count_sessions(admin, database); count > 0) throw sessions_error(database, count);
    }
    try {
      pg::Transaction swap(admin);
      if (target_exists) {
        swap.execute("ALTER DATABASE " + admin.quote_identifier(database) + " RENAME TO " + admin.quote_identifier(previous.name()));
      }
      swap.execute("ALTER DATABASE " + admin.quote_identifier(scratch.name()) + " RENAME TO " + admin.quote_identifier(database));
      swap.commit();
      break;
    } catch (const pg::SqlError& e) {
      // A client connected between our check and the rename. With --force, terminate and retry.
      if (e.sqlstate() == object_in_use && sessions == ConnectedSessions::terminate && attempt < 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      if (e.sqlstate() == object_in_use) throw sessions_error(database, 1);
      throw;
    }
  }
  scratch.hand_over();
  reporter.info("swapped " + scratch.name() + " in as " + database);
  if (!target_exists) return {};
  previous.now_ours();
  try {
    previous.drop();
    reporter.info("dropped the previous copy of " + database);
    return {};
  } catch (const Error& e) {
    previous.hand_over();
    reporter.warning("cannot drop the previous copy of " + database + ", " + previous.name() + " (" + e.what() +
                     "); the next pgseed run on this server removes it");
    return previous.name();
  }
}

Provenance provenance_of(const DumpMetadata& metadata, const std::string& restored_by) {
  Provenance provenance;
  provenance.file = metadata.file;
  provenance.checksum = metadata.checksum;
  provenance.git_version = metadata.version;
  provenance.environment = metadata.kind == ArchiveKind::snapshot ? metadata.database : metadata.environment;
  provenance.dumped_at = metadata.timestamp;
  provenance.restored_by = restored_by;
  provenance.kind = to_string(metadata.kind);
  return provenance;
}

void write_provenance(const pg::ConnInfo& database, const Provenance& provenance) {
  pg::Connection connection(database);
  pg::Transaction transaction(connection);
  transaction.execute("SET LOCAL client_min_messages = warning; DROP TABLE IF EXISTS public.pgseed_provenance");
  transaction.execute(R"sql(CREATE TABLE public.pgseed_provenance (
  dump_file   text NOT NULL,
  checksum    text NOT NULL,
  git_version text NOT NULL,
  environment text NOT NULL,
  dumped_at   timestamptz,
  restored_at timestamptz NOT NULL DEFAULT now(),
  restored_by text NOT NULL DEFAULT 'pgseed-init',
  kind        text NOT NULL DEFAULT 'dump'
))sql");
  auto literal = [&](const std::string& text) { return connection.quote_literal(text); };
  transaction.execute("INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, dumped_at, "
                      "restored_by, kind) VALUES (" + literal(provenance.file) + ", " + literal(provenance.checksum) + ", " +
                      literal(provenance.git_version) + ", " + literal(provenance.environment) + ", " +
                      (provenance.dumped_at.empty() ? std::string("NULL") : literal(provenance.dumped_at) + "::timestamptz") +
                      ", " + literal(provenance.restored_by) + ", " + literal(provenance.kind) + ")");
  transaction.commit();
}

}  // namespace pgseed::core
