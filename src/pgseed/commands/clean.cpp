// pgseed clean: what killed or old runs left behind, and with --all every template and snapshot.
//
// Plain `clean` removes only what provably has no owner (a free owner lock, a free file lock, a
// template whose dump is gone), so it is safe to run at any time, also while other pgseed runs work.
// `--all` destroys things somebody may still want, so it asks for a phrase nobody types by accident.
#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/archive_list.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/templates.h"
#include "pgseed/error.h"
#include "pgseed/util/atomic_file.h"

#include <optional>
#include <ostream>
#include <set>

namespace pgseed::commands {
namespace fs = std::filesystem;

namespace {

inline constexpr const char* everything_phrase = "DELETE EVERYTHING";

std::set<std::string> helper_databases(pg::Connection& admin) {
  std::set<std::string> names;
  for (const auto& row : admin.query("SELECT datname FROM pg_database WHERE datname ~ " +
                                     admin.quote_literal(core::helper_database_pattern))) {
    if (row[0] && core::is_helper_database_name(*row[0])) names.insert(*row[0]);
  }
  return names;
}

// Passes warnings on; the databases removed are printed on stdout by clean itself, once.
class WarningsOnly : public core::Reporter {
public:
  explicit WarningsOnly(core::Reporter& inner) : inner_(inner) {}
  void info(const std::string&) override {}
  void warning(const std::string& message) override { inner_.warning(message); }
  void progress(const std::string& step, std::uint64_t done, std::uint64_t total, core::ProgressUnit unit) override {
    inner_.progress(step, done, total, unit);
  }
  void progress_done() override { inner_.progress_done(); }
  bool confirm(const std::string& question) override { return inner_.confirm(question); }
  std::optional<std::string> ask_line(const std::string& question) override { return inner_.ask_line(question); }
  bool interactive() const override { return inner_.interactive(); }

private:
  core::Reporter& inner_;
};

// The exact phrase, typed on a terminal. (Reporter::confirm is a y/N question: too easy for this.)
void ask_for_phrase(const std::string& what, core::Reporter& reporter) {
  const auto answer = reporter.ask_line("clean --all " + what + ".\npgseed: type " + everything_phrase + " to go on:");
  if (answer != std::optional<std::string>(everything_phrase)) throw Cancelled();  // anything else is a no
}

}  // namespace

int run_clean(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const fs::path snapshot_directory = core::snapshot_directory(project, settings.snapshot_directory);

  // Refused before any server is started or contacted.
  if (settings.all && !settings.yes_delete_everything && !reporter.interactive()) {
    throw Error(
        ExitCode::refused,
        "clean --all drops every pgseed template and deletes every snapshot, and there is no terminal to confirm it",
        "add --yes-delete-everything to confirm without a terminal");
  }

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  auto admin = core::connect_maintenance(target.connection());

  // What exists on disk: a template whose dump (or snapshot) is among these is not stale.
  const auto dumps = core::list_archives(project.dump_directory, core::ArchiveKind::dump);
  const auto snapshots = core::list_archives(snapshot_directory, core::ArchiveKind::snapshot);
  std::set<std::string> checksums;
  for (const auto* list : {&dumps, &snapshots}) {
    for (const auto& archive : *list) {
      if (archive.metadata) checksums.insert(archive.metadata->checksum);
    }
  }
  const auto templates = core::list_templates(*admin);

  if (settings.all) {
    // A protected target (pgseed protect, -e production, PGSEED_PROTECTED=1) is refused before the
    // question, unless --allow-protected and its name are given (core/guards.h).
    core::check_not_protected(target.connection(), settings.environment,
                              {settings.allow_protected, settings.confirm_name}, reporter);
    std::uint64_t template_bytes = 0, snapshot_bytes = core::disk_usage(snapshots);
    for (const auto& info : templates) template_bytes += static_cast<std::uint64_t>(info.size_bytes);
    const std::string what = "drops " + std::to_string(templates.size()) + " pgseed templates (" +
                             core::human_size(template_bytes) + ") on the server of " + target.description() +
                             " and deletes " + std::to_string(snapshots.size()) + " snapshots (" +
                             core::human_size(snapshot_bytes) + ") in " + snapshot_directory.string();
    if (!settings.yes_delete_everything) ask_for_phrase(what, reporter);
  }

  int removed = 0;
  // Scratch and previous databases whose owner lock is free: their run is gone, on any host.
  const auto helpers_before = helper_databases(*admin);
  WarningsOnly quiet_core(reporter);
  core::remove_abandoned_helpers(*admin, quiet_core, target.connection().database());
  const auto helpers_after = helper_databases(*admin);
  for (const auto& name : helpers_before) {
    if (helpers_after.count(name) == 0) {
      out << "dropped database " << name << " (left behind by a pgseed run that is gone)\n";
      ++removed;
    }
  }

  // Temporaries of writes whose process died: their file lock is free (util/atomic_file.h).
  for (const fs::path& directory : {project.dump_directory, snapshot_directory}) {
    for (const auto& path : util::remove_abandoned_temporaries(directory)) {
      out << "deleted " << path.string() << " (a temporary file of a run that is gone)\n";
      ++removed;
    }
  }

  std::error_code error;
  const bool dump_directory_exists = fs::is_directory(project.dump_directory, error);
  if (!settings.all && !dump_directory_exists) {
    reporter.info("no dump directory " + project.dump_directory.string() +
                  ": templates of dumps are left alone (--dump-dir names another one)");
  }
  for (const auto& info : templates) {
    std::string reason;
    if (settings.all) reason = "clean --all";
    else if (info.kind == core::TemplateKind::dump && dump_directory_exists && checksums.count(info.key) == 0)
      reason = "its dump " + info.detail + " no longer exists";
    if (reason.empty()) continue;  // a seed template, or the template of a dump that is still there
    try {
      core::drop_template(*admin, info.name);
      out << "dropped template " << info.name << " (" << reason << ")\n";
      ++removed;
    } catch (const Error& e) {
      // A reset cloning it right now, say: it stays until the next clean.
      reporter.warning("cannot drop template " + info.name + ": " + e.what());
    }
  }

  if (settings.all) {
    const auto tracked = core::git_tracked_files(snapshot_directory);
    for (const auto& snapshot : snapshots) {
      if (tracked.count(snapshot.dump_path) > 0 || tracked.count(snapshot.metadata_path) > 0) {
        reporter.warning("not deleting snapshot " + snapshot.dump_path.string() +
                         ": tracked by git, it is shared history; use git rm if it should go");
        continue;
      }
      core::remove_archive(snapshot);
      out << "deleted snapshot " << snapshot.dump_path.string() << "\n";
      ++removed;
    }
  }
  reporter.info(removed == 0 ? "nothing to clean" : "removed " + std::to_string(removed) + " leftovers");
  return 0;
}

}  // namespace pgseed::commands
