// `pgseed reset`: put a database back to the environment's latest dump in about the time of a
// database copy.
//
// The first reset of a dump restores it (verified) into a template database named after its
// checksum (core/templates.h). Every later reset clones that template (CREATE DATABASE ... TEMPLATE,
// STRATEGY FILE_COPY where the server has it) into a scratch database and swaps it in exactly as a
// restore does (core/replace.h): the target is old or new, never a mix, never nothing. A new latest
// dump gets a new template, and the environment's older dump templates are dropped.
//
// With --set/--scale the content is not a dump's: a scratch database is migrated and seeded with
// those counts, and kept as its own template keyed by everything that decides its content
// (migrations, seed set, counts), so the second such reset is a copy too.
#pragma once

#include "pgseed/core/project.h"
#include "pgseed/core/replace.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/seed/profile.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <string>

namespace pgseed::core {

struct ResetOptions {
  ProjectLayout project;
  std::string environment = "dev";
  seed::CountOverrides counts;  // non-empty: migrate and seed instead of the latest dump
  ConnectedSessions sessions = ConnectedSessions::refuse;
  bool wait = true;
  int jobs = 0;  // pg_restore -j when a template is built from a dump
  // Another dump than the environment's latest link (a fetched one), and the metadata it is checked
  // against when that is not beside it. Empty: the latest link and its own metadata.
  std::filesystem::path dump;
  std::filesystem::path metadata;
};

struct ResetResult {
  std::string database;
  std::string template_name;
  std::string source;          // the dump file, or "seed set <environment>"
  bool template_built = false;  // false: an existing template was cloned
  bool created = false;
  std::string previous_database_left_behind;
};

ResetResult reset_database(const pg::ConnInfo& target, const pg::PgTools& tools, const ResetOptions& options,
                           Reporter& reporter);

}  // namespace pgseed::core
