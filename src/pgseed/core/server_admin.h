// Administration of databases on a server, shared by restore, reset, snapshot, status and clean.
//
// Creating, renaming and dropping a database needs a connection to another database of the same
// server: the maintenance database (postgres, or template1 when the target is postgres).
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/database.h"

#include <memory>
#include <string>

namespace pgseed::core {

// The name pattern (a POSIX regex) of pgseed's scratch and previous databases; is_helper_database_name
// also checks the name's check digits.
extern const char* const helper_database_pattern;

// <database>_pgseed_<role>_<random><check>, at most 63 bytes, cut on a character boundary. The random
// part makes the name unique on any server: a PID repeats across containers and CI runners.
std::string helper_name(const std::string& database, const std::string& role);
bool is_helper_database_name(const std::string& name);

// template0 and template1 are the server's own: never a target to replace.
void refuse_system_database(const std::string& database);

pg::ConnInfo maintenance_connection(const pg::ConnInfo& target);
// Connects to the maintenance database; errors name `target`'s database, the one the user gave.
std::unique_ptr<pg::Connection> connect_maintenance(const pg::ConnInfo& target);

// DROP DATABASE IF EXISTS, terminating stray sessions (WITH (FORCE), PostgreSQL 13+).
void drop_database(pg::Connection& admin, const std::string& name);

// Drops every scratch or previous database whose owner lock is free (the run that made it is gone),
// except `target` and protected databases.
void remove_abandoned_helpers(pg::Connection& admin, Reporter& reporter, const std::string& target = {});

}  // namespace pgseed::core
