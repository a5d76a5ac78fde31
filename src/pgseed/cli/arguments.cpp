#include "pgseed/cli/arguments.h"

#include "pgseed/core/sharing.h"
#include "pgseed/error.h"
#include "pgseed/util/fs.h"

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <utility>
#include <vector>

namespace pgseed::cli {
namespace {

struct OptionSpec {
  const char* name;  // long name without dashes
  char short_name;   // 0 for none
  const char* value; // nullptr for a flag
  const char* help;
};

struct CommandSpec {
  const char* name;
  const char* summary;
  const char* positional;  // nullptr when the command takes none
  const char* description;
  std::vector<OptionSpec> options;
};

const OptionSpec database_url{"database-url", 0, "URL",
                              "libpq URI or keyword string (default: $DATABASE_URL; unset: the project's local server; for dump a throwaway one)"};
const OptionSpec database_url_file{"database-url-file", 0, "FILE", "read the URL from FILE (keeps it out of argv)"};
const OptionSpec project_dir{"project-dir", 'C', "DIR", "project with migrations/ and seeds/ (default: .)"};
const OptionSpec environment{"environment", 'e', "ENV", "environment name (default: $PGSEED_ENVIRONMENT or dev)"};
const OptionSpec dump_dir{"dump-dir", 0, "DIR", "where dumps live (default: $PGSEED_DUMP_DIR or <project>/dumps)"};
const OptionSpec snapshot_dir{"snapshot-dir", 0, "DIR",
                              "where snapshots live (default: $PGSEED_SNAPSHOT_DIR or <project>/.pgseed/snapshots)"};
const OptionSpec no_wait{"no-wait", 0, nullptr, "fail at once when another pgseed run holds the database"};
const OptionSpec quiet{"quiet", 'q', nullptr, "print only results and errors"};
const OptionSpec help{"help", 'h', nullptr, "show this help"};
const OptionSpec set_count{"set", 0, "TABLE=N", "generate exactly N rows of TABLE (repeatable; also PGSEED_COUNT_<TABLE>)"};
const OptionSpec scale{"scale", 0, "F", "multiply every count not given by --set"};
const OptionSpec allow_protected{"allow-protected", 0, nullptr, "act on a protected database (also needs its name confirmed)"};
const OptionSpec confirm_name{"confirm-name", 0, "NAME", "the target database's name, confirmed without a terminal"};
// Sharing through ExternalData (README: Sharing dumps with ExternalData).
const OptionSpec sharing{"sharing", 0, "MODE", "lfs or externaldata: also write the .sha256 content link and the object (default: $PGSEED_SHARING or lfs)"};
const OptionSpec object_store{"object-store", 0, "DIR",
                              "local object store <DIR>/SHA256/<hash> (repeatable; default: $PGSEED_OBJECT_STORES, $ExternalData_OBJECT_STORES)"};
const OptionSpec url_template{"url-template", 0, "URL", "where objects are read, with %(algo) and %(hash) (repeatable; default: $PGSEED_URL_TEMPLATES)"};
const OptionSpec metadata_file{"metadata", 0, "FILE",
                               "check the dump against FILE, not the metadata beside it (a dump fetched into the build tree)"};

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"migrate", "apply pending SQL migrations", nullptr,
       "Applies migrations/NNNN_name.sql in order, each in its own transaction, and records them in\n"
       "pgseed_migrations. An applied migration whose file changed is refused.",
       {database_url, database_url_file, project_dir, quiet, help}},
      {"seed", "load the environment's seed data", nullptr,
       "Runs the seed profile seeds/<env>.json (or the SQL files in seeds/<env>/) in one transaction.\n"
       "A database that already holds this seed set is left unchanged. docs/seed-profiles.md has the format.",
       {database_url, database_url_file, project_dir, environment, set_count, scale,
        {"clear", 0, nullptr, "empty the profile's tables first (asks on a terminal)"},
        {"dry-run", 'n', nullptr, "print the tables and counts, touch no database"},
        {"yes", 'y', nullptr, "do not ask for confirmation"}, allow_protected, confirm_name, quiet, help}},
      {"dump", "migrate, seed and write a versioned dump with metadata", nullptr,
       "Writes <dump-dir>/<env>-seeded-v<sha>-<time>.dump and .metadata.json, then moves the\n"
       "<env>-seeded-latest links. Prints the dump's path.",
       {database_url, database_url_file, project_dir, environment, dump_dir, set_count, scale,
        {"allow-empty", 0, nullptr, "dump even when no table has rows"},
        {"compress", 'Z', "N", "zstd level of the dump, 1-19, or 0 for none (default: 1)"}, sharing, object_store, url_template,
        {"physical", 0, nullptr, "also write <stem>.pgdata.tar.zst, a data directory the init script can start from"},
        quiet, help}},
      {"restore", "verify a dump or snapshot and restore it without losing the existing database", "[NAME|DUMP]",
       "NAME is a snapshot (pgseed list shows them); DUMP a dump file; the default is\n"
       "<dump-dir>/<env>-seeded-latest.dump. It is verified first. Before an existing database is\n"
       "replaced, a safety snapshot pre-restore-<db>-<time> is taken. A full archive is restored into a\n"
       "scratch database, its row counts checked, and only then swapped in; a partial snapshot replaces\n"
       "only its tables' data, in one transaction. Without a database configured: the local server.",
       {database_url, database_url_file, project_dir, environment, dump_dir, snapshot_dir, metadata_file, sharing,
        object_store, url_template,
        {"yes", 'y', nullptr, "do not ask for confirmation"},
        {"force", 0, nullptr, "terminate sessions connected to the target"},
        {"jobs", 'j', "N", "parallel pg_restore jobs (default: one per core)"},
        {"no-safety-snapshot", 0, nullptr, "do not snapshot the database before replacing it"}, allow_protected,
        confirm_name, no_wait, quiet, help}},
      {"reset", "put the database back to the latest dump in a template copy's time", "[DUMP]",
       "The first reset of a dump restores it into a template database; later resets clone the\n"
       "template and swap the copy in, as restore does. With --set/--scale: migrate and seed with\n"
       "those counts instead, kept as a template of its own. Without a database configured: the\n"
       "project's local server. DUMP (with --metadata) is another dump than the latest link, such as one\n"
       "fetched into the build tree by the fetch-dumps target.",
       {database_url, database_url_file, project_dir, environment, dump_dir, metadata_file, sharing, object_store,
        url_template, set_count, scale,
        {"yes", 'y', nullptr, "do not ask for confirmation"},
        {"force", 0, nullptr, "terminate sessions connected to the target"},
        {"jobs", 'j', "N", "parallel pg_restore jobs when a template is built (default: one per core)"}, allow_protected,
        confirm_name, no_wait, quiet, help}},
      {"snapshot", "dump the database as it is now into the snapshot directory", "[NAME]",
       "Writes <snapshot-dir>/NAME.dump and NAME.metadata.json (kind snapshot): no migrate, no seed.\n"
       "NAME defaults to <database>-<UTC time>; an existing name needs --replace. Restore it with\n"
       "pgseed restore NAME. Without a database configured: the project's local server.",
       {database_url, database_url_file, project_dir, snapshot_dir,
        {"message", 'm', "TEXT", "a note kept in the metadata"},
        {"table", 't', "PATTERN", "only these tables (pg_dump pattern; repeatable): a partial snapshot"},
        {"exclude-table", 'T', "PATTERN", "leave these tables out (pg_dump pattern; repeatable)"},
        {"replace", 0, nullptr, "overwrite a snapshot of the same name"}, no_wait, quiet, help}},
      {"up", "start the project's local PostgreSQL server, print its DATABASE_URL", nullptr,
       "Starts the project's own persistent server (initdb on first use), on 127.0.0.1 and a port\n"
       "stable for the project. migrate, seed and restore use it when no database is configured.\n"
       "The data survives down/up and reboots. eval \"$(pgseed up)\" sets DATABASE_URL in a shell.",
       {project_dir, quiet, help}},
      {"down", "stop the project's local server (its data is kept)", nullptr,
       "Stops the server that `pgseed up` started. Its data stays for the next up.", {project_dir, quiet, help}},
      {"verify", "check a dump against its metadata (no server needed)", "[DUMP]",
       "Checks that the dump exists, is not a Git LFS pointer, and matches its metadata's size and\n"
       "sha256. DUMP defaults to <dump-dir>/<env>-seeded-latest.dump.",
       {project_dir, environment, dump_dir, metadata_file, sharing, object_store, url_template,
        {"json", 0, nullptr, "print the result as JSON"}, quiet, help}},
      {"publish", "copy the latest dump's object to an ExternalData object store", nullptr,
       "Reads <dump-dir>/<env>-seeded-latest.dump.sha256, hashes the object it names (the latest dump,\n"
       "or its copy in a local store) and copies it to STORE: a directory or file:// url as\n"
       "<store>/SHA256/<hash> (atomically; a good copy already there is kept), or an http(s):// url\n"
       "with a PUT (WebDAV-style servers; credentials from ~/.netrc, never in the url). STORE may be a\n"
       "template with %(algo) and %(hash). Default: the first --url-template, else the first\n"
       "--object-store. When <env>-seeded-latest.pgdata.tar.zst.sha256 exists (dump --physical), the\n"
       "physical snapshot's object is published after the dump's, by the same rules. Exit codes: 0\n"
       "published; 2 bad option or no store; 3 no content link, or no good copy of an object here; 1\n"
       "the copy or the upload failed.",
       {project_dir, environment, dump_dir, {"to", 0, "STORE", "where to publish (directory, file://, http(s)://)"},
        sharing, object_store, url_template, quiet, help}},
      {"status", "describe the target database, its origin, dumps, snapshots and templates", nullptr,
       "Prints the server version, the database's size, each table's exact row count (count(*)) and\n"
       "size, where it came from (pgseed_provenance), migrations it lacks or that changed, whether it\n"
       "is protected, the disk used by dumps and snapshots, and pgseed's templates on the server.\n"
       "It also says whether the latest dump is fresh, as pgseed check does (--set/--scale as for it).\n"
       "A database that does not exist yet is reported as such.\n"
       "exit codes: 0 described (also a database that does not exist), 2 usage, 4 cannot reach the server.",
       {database_url, database_url_file, project_dir, environment, dump_dir, snapshot_dir, set_count, scale,
        {"json", 0, nullptr, "print everything as one JSON object"}, quiet, help}},
      {"protect", "mark the target database protected (or --off: remove the mark)", nullptr,
       "Sets pgseed.protected = on on the database (ALTER DATABASE ... SET), so the mark travels with\n"
       "it. restore, reset, seed --clear and clean --all then refuse it (exit 5) unless given\n"
       "--allow-protected and its name. -e production/prod and PGSEED_PROTECTED=1 protect as well.\n"
       "exit codes: 0 marked (or unmarked), 2 usage, 4 no such database, no right to alter it, no server.",
       {database_url, database_url_file, project_dir, {"off", 0, nullptr, "remove the mark"}, quiet, help}},
      {"list", "list dumps per environment and snapshots (no server needed)", nullptr,
       "One line per dump (by environment, newest first, * marks what <env>-seeded-latest points to)\n"
       "and per snapshot: name, kind, environment or database, created, age, size, rows, git commit,\n"
       "note, and what is wrong with it, if anything (metadata missing or invalid, size, LFS pointer).\n"
       "--verify also re-hashes every dump. Exit codes: 0 listed; 3 with --verify when a file is not\n"
       "ok; 1 a directory cannot be read; 2 bad option.",
       {project_dir, dump_dir, snapshot_dir, {"verify", 0, nullptr, "re-hash every file against its metadata"},
        {"json", 0, nullptr, "print a JSON array"}, quiet, help}},
      {"prune", "delete old dumps (and snapshots) beyond the newest N", nullptr,
       "Keeps the newest N dumps of every environment (by metadata timestamp) and deletes the others,\n"
       "each dump with its metadata. What a latest link points to is never deleted (it counts as one of\n"
       "the N); nor is a file tracked by git, which is shared history (git rm it yourself). --snapshots\n"
       "also keeps only the newest N snapshots. Exit codes: 0 done; 2 bad option; 1 a file cannot be\n"
       "removed, or git cannot tell what it tracks.",
       {project_dir, dump_dir, snapshot_dir, {"keep", 0, "N", "how many to keep per environment (at least 1)"},
        {"snapshots", 0, nullptr, "also prune snapshots, keeping the newest N"},
        {"dry-run", 'n', nullptr, "list what would be deleted, delete nothing"}, quiet, help}},
      {"clean", "remove what killed or old runs left behind", nullptr,
       "Drops scratch and previous databases (*_pgseed_restore_* / *_pgseed_previous_*) that no running\n"
       "pgseed owns (their owner lock is free), templates of dumps that no longer exist, and temporary\n"
       "files of killed writes in the dump and snapshot directories. --all also drops every pgseed\n"
       "template and deletes every snapshot; it asks for the phrase DELETE EVERYTHING, or needs\n"
       "--yes-delete-everything without a terminal.\n"
       "Exit codes: 0 done; 4 database error; 5 --all not confirmed, or the target is protected; 2 bad option.",
       {database_url, database_url_file, project_dir, environment, dump_dir, snapshot_dir,
        {"all", 0, nullptr, "also drop every pgseed template and delete every snapshot"},
        {"yes-delete-everything", 0, nullptr, "confirm --all without a terminal"}, allow_protected, confirm_name,
        quiet, help}},
      {"check", "check that the latest dump still matches the project (no server needed)", nullptr,
       "Compares the inputs recorded in <dump-dir>/<env>-seeded-latest.metadata.json (migrations, the\n"
       "seed profile and every file it uses, the seed set, pgseed's data format) with the project's,\n"
       "and prints one line per difference. Give the --set/--scale the dump was made with. Reads no\n"
       "dump file, so it works on a clone without Git LFS content.\n"
       "Exit codes: 0 fresh; 6 stale, or no dump at all; 3 metadata unreadable; 2 bad option or seeds.",
       {project_dir, environment, dump_dir, set_count, scale,
        {"json", 0, nullptr, "print fresh, the differences, the dump and both fingerprints as JSON"}, quiet, help}},
  };
  return specs;
}

const CommandSpec* find_command(const std::string& name) {
  for (const auto& spec : command_specs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

const char* environment_value(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

int parse_count(const std::string& option, const std::string& text, int low, int high) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= low && value <= high) return value;
  } catch (const std::exception&) {
  }
  throw Error(ExitCode::usage, "option --" + option + " needs a whole number from " + std::to_string(low) + " to " +
                                   std::to_string(high) + ", not '" + text + "'");
}

double parse_factor(const std::string& option, const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value >= 0 && value <= 1e6) return value;
  } catch (const std::exception&) {
  }
  throw Error(ExitCode::usage, "option --" + option + " needs a factor >= 0 such as 0.5 or 10, not '" + text + "'");
}

std::string read_url_file(const std::string& path) {
  std::string content;
  try {
    content = util::read_file(path);
  } catch (const std::exception&) {
    throw Error(ExitCode::usage, "database url file " + path + " cannot be read");
  }
  content = content.substr(0, content.find('\n'));
  while (!content.empty() && (content.back() == '\r' || content.back() == ' ')) content.pop_back();
  return content;
}

void apply_option(commands::Settings& settings, bool& quiet_flag, const std::string& name, const std::string& value) {
  if (name == "database-url") settings.database_url = value;
  else if (name == "database-url-file") settings.database_url = read_url_file(value);
  else if (name == "project-dir") settings.project_directory = value;
  else if (name == "environment") settings.environment = value;
  else if (name == "dump-dir") settings.dump_directory = value;
  else if (name == "quiet") quiet_flag = true;
  else if (name == "allow-empty") settings.allow_empty = true;
  else if (name == "compress") settings.compression = parse_count(name, value, 0, 19);
  else if (name == "physical") settings.physical = true;
  else if (name == "yes") settings.assume_yes = true;
  else if (name == "force") settings.force = true;
  else if (name == "jobs") settings.jobs = parse_count(name, value, 1, 256);
  else if (name == "json") settings.json = true;
  else if (name == "set") settings.count_settings.push_back(value);
  else if (name == "scale") settings.scale = parse_factor(name, value);
  else if (name == "clear") settings.clear = true;
  else if (name == "dry-run") settings.dry_run = true;
  else if (name == "snapshot-dir") settings.snapshot_directory = value;
  else if (name == "no-wait") settings.no_wait = true;
  else if (name == "no-safety-snapshot") settings.no_safety_snapshot = true;
  else if (name == "message") settings.note = value;
  else if (name == "table") settings.tables.push_back(value);
  else if (name == "exclude-table") settings.excluded_tables.push_back(value);
  else if (name == "replace") settings.replace = true;
  else if (name == "allow-protected") settings.allow_protected = true;
  else if (name == "confirm-name") settings.confirm_name = value;
  else if (name == "off") settings.off = true;
  else if (name == "verify") settings.verify = true;
  else if (name == "keep") settings.keep = parse_count(name, value, 1, 1000000);
  else if (name == "snapshots") settings.snapshots = true;
  else if (name == "all") settings.all = true;
  else if (name == "yes-delete-everything") settings.yes_delete_everything = true;
  else if (name == "sharing") settings.sharing = core::parse_sharing(value);
  else if (name == "object-store") settings.object_stores.push_back(value);
  else if (name == "url-template") settings.url_templates.push_back(value);
  else if (name == "metadata") settings.metadata = value;
  else if (name == "to") settings.publish_to = value;
}

// The lists from the environment, unless the command line gave its own.
void apply_sharing_environment(commands::Settings& settings) {
  if (settings.object_stores.empty()) {
    for (const char* name : {"PGSEED_OBJECT_STORES", "ExternalData_OBJECT_STORES"}) {
      if (const char* value = environment_value(name)) {
        for (auto& store : core::split_list(value)) settings.object_stores.push_back(std::move(store));
      }
    }
  }
  if (settings.url_templates.empty()) {
    if (const char* value = environment_value("PGSEED_URL_TEMPLATES")) settings.url_templates = core::split_list(value);
  }
}

}  // namespace

bool is_command(const std::string& name) { return find_command(name) != nullptr; }

Invocation parse_arguments(const std::vector<std::string>& arguments) {
  Invocation invocation;
  if (const char* url = environment_value("DATABASE_URL")) invocation.settings.database_url = url;
  if (const char* name = environment_value("PGSEED_ENVIRONMENT")) invocation.settings.environment = name;
  if (const char* directory = environment_value("PGSEED_DUMP_DIR")) invocation.settings.dump_directory = directory;
  if (const char* directory = environment_value("PGSEED_SNAPSHOT_DIR")) invocation.settings.snapshot_directory = directory;

  if (arguments.empty()) {
    invocation.action = Action::missing_command;
    return invocation;
  }
  const std::string& first = arguments[0];
  if (first == "--help" || first == "-h" || first == "help") {
    invocation.action = Action::help;
    const bool about_help = arguments.size() > 1 &&
                            (arguments[1] == "help" || arguments[1] == "--help" || arguments[1] == "-h");
    if (arguments.size() > 1 && !about_help) {
      if (!is_command(arguments[1])) {
        throw Error(ExitCode::usage, "unknown command '" + arguments[1] + "'", "pgseed --help lists the commands");
      }
      invocation.command = arguments[1];
    }
    return invocation;
  }
  if (first == "--version" || first == "-V") {
    invocation.action = Action::version;
    return invocation;
  }
  const CommandSpec* spec = find_command(first);
  if (spec == nullptr) {
    throw Error(ExitCode::usage, "unknown command '" + first + "'", "pgseed --help lists the commands");
  }
  invocation.command = spec->name;

  auto find_option = [&](const std::string& argument) -> const OptionSpec* {
    for (const auto& option : spec->options) {
      if (argument == std::string("--") + option.name) return &option;
      if (option.short_name != 0 && argument == std::string("-") + option.short_name) return &option;
    }
    return nullptr;
  };

  bool options_ended = false;
  // `pgseed CMD help` is help when `help` is the only positional word and comes before any `--`.
  // A dump really named help is still reachable as ./help or after `--`; taking the word as a file
  // would instead turn a request for help into a restore attempt (or, with --yes, a real restore).
  struct Positional {
    std::string word;
    bool after_dashes;
  };
  std::vector<Positional> positionals;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    std::string argument = arguments[i];
    if (!options_ended && argument == "--") {
      options_ended = true;
      continue;
    }
    if (!options_ended && argument.size() > 1 && argument[0] == '-') {
      std::optional<std::string> inline_value;
      if (const auto equals = argument.find('='); argument.rfind("--", 0) == 0 && equals != std::string::npos) {
        inline_value = argument.substr(equals + 1);
        argument.resize(equals);
      }
      // "-j2": a short option with its value attached.
      if (!inline_value && argument.size() > 2 && argument[1] != '-') {
        if (const OptionSpec* short_option = find_option(argument.substr(0, 2)); short_option && short_option->value) {
          inline_value = argument.substr(2);
          argument.resize(2);
        }
      }
      const OptionSpec* option = find_option(argument);
      if (option == nullptr) {
        throw Error(ExitCode::usage, "unknown option " + argument + " for 'pgseed " + spec->name + "'",
                    std::string("pgseed ") + spec->name + " --help lists its options");
      }
      if (std::string(option->name) == "help") {
        invocation.action = Action::help;
        return invocation;
      }
      std::string value;
      if (option->value != nullptr) {
        if (inline_value) value = *inline_value;
        else if (i + 1 < arguments.size()) value = arguments[++i];
        else throw Error(ExitCode::usage, "option --" + std::string(option->name) + " needs a value (" + option->value + ")");
      } else if (inline_value) {
        throw Error(ExitCode::usage, "option --" + std::string(option->name) + " takes no value");
      }
      apply_option(invocation.settings, invocation.quiet, option->name, value);
      continue;
    }
    positionals.push_back({argument, options_ended});
  }
  if (positionals.size() == 1 && positionals[0].word == "help" && !positionals[0].after_dashes) {
    invocation.action = Action::help;
    return invocation;
  }
  // Read after the help checks: a bad PGSEED_SHARING must not stand in the way of --help.
  const bool sharing_given = std::any_of(arguments.begin(), arguments.end(), [](const std::string& argument) {
    return argument == "--sharing" || argument.rfind("--sharing=", 0) == 0;
  });
  if (const char* mode = environment_value("PGSEED_SHARING"); mode != nullptr && !sharing_given) {
    invocation.settings.sharing = core::parse_sharing(mode);
  }
  apply_sharing_environment(invocation.settings);
  for (const auto& positional : positionals) {
    if (spec->positional == nullptr || invocation.settings.dump) {
      throw Error(ExitCode::usage, "unexpected argument '" + positional.word + "' for 'pgseed " + spec->name + "'",
                  std::string("pgseed ") + spec->name + " --help shows its usage");
    }
    invocation.settings.dump = positional.word;
  }
  return invocation;
}

namespace {

using Row = std::pair<std::string, std::string>;

// Two columns, the first as wide as its widest entry plus two spaces, so that a longer command or
// option name moves the column instead of breaking it.
void write_columns(std::ostream& out, const std::vector<Row>& rows) {
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [left, right] : rows)
    out << "  " << left << std::string(width - left.size() + 2, ' ') << right << "\n";
}

}  // namespace

std::string top_level_help() {
  std::ostringstream out;
  out << "usage: pgseed <command> [options]\n\n"
         "Seeded, verified PostgreSQL dev databases, made by your build.\n\ncommands:\n";
  std::vector<Row> commands;
  for (const auto& spec : command_specs()) commands.emplace_back(spec.name, spec.summary);
  write_columns(out, commands);
  out << "\n'pgseed <command> --help' (or 'pgseed help <command>', 'pgseed <command> help') shows a command's\n"
         "options. 'pgseed --version' prints the version.\n\nenvironment:\n";
  write_columns(out, {{"DATABASE_URL", "target database; unset: the project's local server (pgseed up), a throwaway one for dump"},
                      {"PGSEED_ENVIRONMENT", "default environment (dev)"},
                      {"PGSEED_DUMP_DIR", "default dump directory (<project>/dumps)"},
                      {"PGSEED_SNAPSHOT_DIR", "default snapshot directory (<project>/.pgseed/snapshots)"},
                      {"PGSEED_PROTECTED", "1: every target is protected (restore, reset, seed --clear refuse it)"},
                      {"PGSEED_PG_BINDIR", "PostgreSQL bin directory (default: pg_config --bindir)"},
                      {"PGSEED_SHARING", "lfs (default) or externaldata: dump also writes the .sha256 link and the object"},
                      {"PGSEED_OBJECT_STORES", "local object stores (;-separated; also ExternalData_OBJECT_STORES)"},
                      {"PGSEED_URL_TEMPLATES", "ExternalData url templates (;-separated) with %(algo) and %(hash)"}});
  out << "\nexit codes:\n";
  write_columns(out,
                {{"0", "success"},
                 {"1", "failure: a child tool failed, a program is missing, anything unexpected"},
                 {"2", "bad input: option or value, missing project or dump directory, seed profile, migration names"},
                 {"3", "dump refused: missing, unreadable, a directory, dangling link, LFS pointer, metadata, size,"},
                 {"", "checksum, counts after restore"},
                 {"4", "database error: connection, SQL, failing or edited migration"},
                 {"5", "refused for safety or cancelled: a question answered no, no terminal and no --yes,"},
                 {"", "a protected target, busy with --no-wait, sessions connected, empty database,"},
                 {"", "a different seed set"},
                 {"6", "stale dump (pgseed check): the latest dump does not match the project, or there is none"},
                 {"130", "interrupted (SIGINT/SIGTERM); what was started is stopped and cleaned up"}});
  return out.str();
}

std::string command_help(const std::string& command) {
  const CommandSpec* spec = find_command(command);
  if (spec == nullptr) return top_level_help();
  std::ostringstream out;
  out << "usage: pgseed " << spec->name << " [options]" << (spec->positional ? std::string(" ") + spec->positional : "")
      << "\n\n" << spec->summary << ".\n" << spec->description << "\n\noptions:\n";
  std::vector<Row> options;
  for (const auto& option : spec->options) {
    std::string left = option.short_name ? std::string("-") + option.short_name + ", " : "    ";
    left += std::string("--") + option.name + (option.value ? std::string(" ") + option.value : "");
    options.emplace_back(left, option.help);
  }
  write_columns(out, options);
  if (spec->positional != nullptr) {
    out << "\nA lone 'help' is this help; a dump file named help is ./help or '-- help'.\n";
  }
  out << "\nexit codes: see 'pgseed --help'.\n";
  return out.str();
}

}  // namespace pgseed::cli
