// What the tests share: a real PostgreSQL server, the real pgseed binary, scratch projects.
#pragma once

#include "pgseed/pg/cluster.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/subprocess.h"

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pgseed::testing {

// One embedded cluster per test process, started on first use and stopped when the process exits
// (by the watchdog if the process dies without unwinding).
pg::EmbeddedCluster& test_server();

// A new, empty database on the test server, with a unique name.
pg::ConnInfo fresh_database(const std::string& label);

std::string query_value(const pg::ConnInfo& database, const std::string& sql);
// How the stored news bodies of the example app are compressed: "lz4", "pglz", both ("lz4,pglz"), or
// "" when none is long enough to be compressed.
std::string news_body_compressions(const pg::ConnInfo& database);
bool database_exists(const std::string& name);

struct PgseedRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Where the local server of pgseed runs started by run_pgseed lives (one per test process; stopped
// when the process exits).
std::filesystem::path local_server_directory();

// Where the local server of the pgseed runs below lives: one directory per test process, stopped
// when the process exits.
std::filesystem::path local_server_directory();

// Runs the built pgseed binary. DATABASE_URL and PGSEED_* from the caller's environment are removed
// unless `env` sets them.
PgseedRun run_pgseed(std::vector<std::string> arguments,
                     std::map<std::string, std::optional<std::string>> env = {});

// Starts the built pgseed binary in the background (same environment rules as run_pgseed; stdout and
// stderr go to /dev/null) and returns its pid, for a test that signals it. The caller reaps it with
// waitpid. It is SIGKILLed if the test process dies first.
pid_t start_pgseed(std::vector<std::string> arguments, std::map<std::string, std::optional<std::string>> env = {});

// Whether `pid` is a running process (a zombie is not: it has died and waits to be reaped).
bool process_alive(pid_t pid);
// Running processes, other than this one, that work in `directory` (their cwd is in it) or name it on
// their command line.
std::vector<pid_t> processes_using(const std::filesystem::path& directory);
// The running descendants of `ancestor` (children, their children, ...) whose name (comm) is `name`.
std::vector<pid_t> descendant_processes(pid_t ancestor, const std::string& name);
// A one-line description of a process, for failure messages: "1234 postgres -D /tmp/...".
std::string describe_process(pid_t pid);

// Runs the built pgseed on a pseudo-terminal (`script -qec`, util-linux) with `typed` as what the user
// types, in the same isolated environment as run_pgseed. The terminal merges stdout and stderr into
// `out`, with \r\n line ends.
PgseedRun run_pgseed_on_terminal(const std::vector<std::string>& arguments, const std::string& typed,
                                 std::map<std::string, std::optional<std::string>> env = {});

// Waits until the clock is in a second after `last`, then sets `last` to it. Metadata timestamps
// have one-second resolution: a test that needs one dump to be strictly newer than another waits.
void wait_for_next_second(std::time_t& last);

// A throwaway copy of the example app (migrations/ and seeds/) to edit freely.
class ScratchProject {
public:
  ScratchProject();
  const std::filesystem::path& root() const { return directory_.path(); }
  std::filesystem::path dumps() const { return root() / "dumps"; }
  void write(const std::filesystem::path& relative, const std::string& content) const;

private:
  util::TemporaryDirectory directory_;
};

// The dump file that the latest link points to.
std::filesystem::path latest_real_dump(const std::filesystem::path& dumps, const std::string& environment = "dev");

// A scratch project with a dev dump of a fresh database (named after `source_label`): where most
// dump, restore and reset tests start. Throws, with pgseed's stderr, when the dump fails.
struct DumpedProject {
  explicit DumpedProject(const std::string& source_label);
  ScratchProject project;
  pg::ConnInfo source;
  std::string root() const { return project.root().string(); }
  std::filesystem::path dump() const { return latest_real_dump(project.dumps()); }
};

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& content);

}  // namespace pgseed::testing
