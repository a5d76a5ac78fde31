#include "pgseed/core/reset.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inputs.h"
#include "pgseed/core/locks.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/names.h"
#include "pgseed/core/restore.h"
#include "pgseed/core/seed.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/sharing.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/templates.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"
#include "pgseed/util/time.h"

#include <chrono>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

// What the template must hold, and how to build it when it does not exist yet.
struct TemplateSource {
  TemplateKind kind = TemplateKind::dump;
  std::string key;
  std::string detail;
  fs::path dump;  // kind dump: the latest link
  fs::path metadata;  // kind dump: empty for the one beside the dump
};

TemplateSource source_for(const ResetOptions& options) {
  TemplateSource source;
  if (options.counts.exact.empty() && !options.counts.scale) {
    source.dump = options.dump.empty() ? latest_dump_path(options.project.dump_directory, options.environment)
                                       : options.dump;
    source.metadata = options.metadata;
    // The checksum names the template. It is read from the metadata here; the dump itself is hashed
    // when a template is built from it, and a built template was built from a verified dump.
    const fs::path metadata = !options.metadata.empty()
                                  ? options.metadata
                                  : metadata_path_for(fs::exists(source.dump) ? fs::canonical(source.dump) : source.dump);
    DumpMetadata read;
    try {
      read = read_metadata(metadata);
    } catch (const std::exception&) {
      const auto verified = verify_dump(source.dump, source.metadata);  // the precise refusal: missing, LFS pointer, ...
      if (!verified.ok()) throw refusal_for(verified);
      throw Error(ExitCode::dump_refused, "metadata " + metadata.string() + " cannot be read");
    }
    source.kind = TemplateKind::dump;
    source.key = read.checksum;
    source.detail = read.file;
    return source;
  }
  // Keyed like a dump's inputs (core/inputs.h): migrations, profile, files, counts and the generator's
  // data format, so a pgseed whose generator output changed builds a new template.
  source.kind = TemplateKind::seed;
  source.key = compute_inputs(options.project, options.environment, options.counts).fingerprint;
  source.detail = options.environment;
  return source;
}

bool template_exists(pg::Connection& admin, const TemplateSource& source) {
  for (const auto& found : list_templates(admin)) {
    if (found.name == template_name(source.key) && found.key == source.key) return true;
  }
  return false;
}

// Builds the template in a scratch database and turns it into the template in one transaction
// (rename, comment, IS_TEMPLATE, no connections). A kill before that leaves a scratch database the
// next run removes; after it, a complete template.
void build_template(pg::Connection& admin, const pg::ConnInfo& target, const pg::PgTools& tools,
                    const TemplateSource& source, const ResetOptions& options, const std::string& create_options,
                    Reporter& reporter) {
  const std::string name = template_name(source.key);
  HelperDatabase scratch(admin, helper_name(name, "restore"), reporter);
  scratch.create(" TEMPLATE template0" + create_options);
  const pg::ConnInfo scratch_connection = target.with("dbname", scratch.name());
  Provenance provenance;
  if (source.kind == TemplateKind::dump) {
    const auto verified = verify_dump(source.dump, source.metadata);
    if (!verified.ok()) throw refusal_for(verified);
    if (verified.metadata->checksum != source.key) {
      throw Error(ExitCode::dump_refused, "dump " + source.dump.string() + " changed while reset read it", "run reset again");
    }
    check_readable(admin, tools, verified, target.database());
    restore_into_scratch(admin, scratch_connection, tools, verified, options.jobs, target.database(), reporter);
    provenance = provenance_of(*verified.metadata, "pgseed reset");
  } else {
    reporter.info("migrating and seeding " + scratch.name() + " for '" + options.environment + "' with the given counts");
    pg::Connection connection(scratch_connection);
    apply_migrations(connection, discover_migrations(options.project.migrations_directory), reporter);
    SeedRequest request;
    request.environment = options.environment;
    request.counts = options.counts;
    seed_environment(connection, options.project, request, reporter);
    provenance.file = "seed set " + options.environment;
    provenance.checksum = source.key;
    provenance.git_version = read_source_version(options.project).commit;
    provenance.environment = options.environment;
    provenance.restored_by = "pgseed reset";
    provenance.kind = "seed";
  }
  write_provenance(scratch_connection, provenance);
  pg::Transaction turn(admin);
  turn.execute("ALTER DATABASE " + admin.quote_identifier(scratch.name()) + " RENAME TO " + admin.quote_identifier(name));
  turn.execute("COMMENT ON DATABASE " + admin.quote_identifier(name) + " IS " +
               admin.quote_literal(template_comment(source.kind, source.key, source.detail)));
  turn.execute("ALTER DATABASE " + admin.quote_identifier(name) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
  turn.commit();
  scratch.hand_over();
  reporter.info("built template " + name + " from " + source.detail);
}

// The environment's older dump templates: a new latest dump replaces them. One in use by another
// run's clone (its owner lock is held) is left for the next reset or `pgseed clean`.
void drop_stale_templates(pg::Connection& admin, const TemplateSource& current, const std::string& environment,
                          Reporter& reporter) {
  if (current.kind != TemplateKind::dump) return;
  const std::string prefix = environment + "-seeded-";
  for (const auto& old : list_templates(admin)) {
    if (old.kind != TemplateKind::dump || old.key == current.key || old.detail.rfind(prefix, 0) != 0) continue;
    if (!SessionLock::try_take(admin, LockScope::owner, old.name)) continue;
    try {
      drop_template(admin, old.name);
      reporter.info("dropped template " + old.name + " of the older dump " + old.detail);
    } catch (const Error& e) {
      reporter.warning("cannot drop the older template " + old.name + ": " + e.what());
    }
    SessionLock::release(admin, LockScope::owner, old.name);
  }
}

}  // namespace

ResetResult reset_database(const pg::ConnInfo& target, const pg::PgTools& tools, const ResetOptions& options,
                           Reporter& reporter) {
  const auto started = std::chrono::steady_clock::now();
  const std::string database = target.database();
  check_database_name(database);
  check_name("environment", options.environment);
  const TemplateSource source = source_for(options);  // before any server work: a missing dump costs nothing

  const auto admin_connection = connect_maintenance(target);
  pg::Connection& admin = *admin_connection;
  const auto target_lock = lock_target(admin, database, options.wait, reporter);
  refuse_system_database(database);
  remove_abandoned_helpers(admin, reporter, database);
  const TargetState state = inspect_target(admin, database, options.sessions);

  ResetResult result;
  result.database = database;
  result.created = !state.exists;
  result.template_name = template_name(source.key);
  result.source = source.kind == TemplateKind::dump ? source.detail : "seed set " + options.environment;
  {
    // The template's owner lock: one run builds it, others wait and then clone it; nobody drops it
    // while a clone reads it.
    const SessionLock template_lock(admin, LockScope::owner, result.template_name, reporter,
                                    "another pgseed run building template " + result.template_name);
    if (!template_exists(admin, source)) {
      build_template(admin, target, tools, source, options, state.create_options, reporter);
      result.template_built = true;
    }
    HelperDatabase scratch(admin, helper_name(database, "restore"), reporter);
    // FILE_COPY copies the files (PostgreSQL 15 made WAL_LOG the default, which writes every block
    // to the WAL: slower for anything but tiny databases).
    const std::string strategy = admin.server_version_num() >= 150000 ? " STRATEGY FILE_COPY" : "";
    scratch.create(" TEMPLATE " + admin.quote_identifier(result.template_name) + strategy);
    {
      pg::Connection copy(target.with("dbname", scratch.name()));
      copy.execute("UPDATE public.pgseed_provenance SET restored_at = now()");
    }
    result.previous_database_left_behind = swap_in(admin, scratch, database, state.exists, options.sessions, reporter);
  }
  drop_stale_templates(admin, source, options.environment, reporter);
  reporter.info("reset " + database + " from " + result.source + " in " + human_duration(util::seconds_since(started)));
  return result;
}

}  // namespace pgseed::core
