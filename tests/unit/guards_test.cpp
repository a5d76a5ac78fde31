// The guards' decisions that need no server: which targets are on this machine, which environments
// protect, and the confirmation rules for local and remote targets.
#include "support/catch.h"

#include "pgseed/cli/arguments.h"
#include "pgseed/core/guards.h"
#include "pgseed/error.h"

#include <cstdlib>
#include <deque>

using namespace pgseed;

namespace {

// Restores an environment variable when the test is done, whatever it set.
class ScopedVariable {
public:
  ScopedVariable(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedVariable() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

private:
  const char* name_;
  std::optional<std::string> old_;
};

// A person at a terminal who gives the answers queued here, and records the questions.
class AnsweringReporter : public core::SilentReporter {
public:
  std::deque<std::string> lines;
  std::deque<bool> yes_no;
  std::vector<std::string> asked;
  bool confirm(const std::string& question) override {
    asked.push_back(question);
    if (yes_no.empty()) return false;
    const bool answer = yes_no.front();
    yes_no.pop_front();
    return answer;
  }
  std::optional<std::string> ask_line(const std::string& question) override {
    asked.push_back(question);
    if (lines.empty()) return std::nullopt;
    auto answer = lines.front();
    lines.pop_front();
    return answer;
  }
  bool interactive() const override { return true; }
};

ExitCode code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::ok;
}

pg::ConnInfo at(const std::string& host, const std::string& hostaddr = {}) {
  std::vector<std::pair<std::string, std::string>> options{{"dbname", "appdb"}};
  if (!host.empty()) options.emplace_back("host", host);
  if (!hostaddr.empty()) options.emplace_back("hostaddr", hostaddr);
  return pg::ConnInfo::from_options(options);
}

}  // namespace

TEST_CASE("is_local_target: sockets and loopback are local, everything else is remote", "[unit][guards]") {
  ScopedVariable no_host("PGHOST", nullptr);
  ScopedVariable no_hostaddr("PGHOSTADDR", nullptr);
  struct Case {
    const char* host;
    const char* hostaddr;
    bool local;
  };
  const Case cases[] = {
      {"", "", true},                           // no host: libpq's default unix socket
      {"/var/run/postgresql", "", true},        // socket directory
      {"/tmp", "", true},
      {"@abstract", "", true},                  // abstract unix socket
      {"localhost", "", true},
      {"LOCALHOST", "", true},
      {"localhost.", "", true},
      {"127.0.0.1", "", true},
      {"127.1.2.3", "", true},                  // all of 127.0.0.0/8
      {"127.255.255.254", "", true},
      {"::1", "", true},
      {"[::1]", "", true},
      {"0:0:0:0:0:0:0:1", "", true},
      {"::ffff:127.0.0.1", "", true},           // IPv4-mapped loopback
      {"localhost,/tmp,127.0.0.1", "", true},   // every host of a list is local
      {"db.example.com", "", false},
      {"10.0.0.5", "", false},
      {"192.168.1.10", "", false},
      {"128.0.0.1", "", false},
      {"126.255.255.255", "", false},
      {"0.0.0.0", "", false},                   // not a loopback address: ask
      {"::", "", false},
      {"::2", "", false},
      {"::ffff:10.0.0.1", "", false},
      {"fe80::1%lo", "", false},
      {"127.1", "", false},                     // shorthand a resolver may read differently: ask
      {"localhost.example.com", "", false},
      {"app.localhost", "", false},             // only a resolver convention: ask
      {"mylocalhost", "", false},
      {"localhost,db.example.com", "", false},  // one remote host in the list is enough
      {"/tmp,db.example.com", "", false},
      {"db.example.com", "127.0.0.1", true},    // hostaddr is where libpq connects
      {"localhost", "10.1.1.1", false},
      {"", "::1", true},
      {"a.example,localhost", "10.0.0.1,", false},
      {"a.example,localhost", "127.0.0.1,", true},  // empty hostaddr element: that host is used
  };
  for (const auto& c : cases) {
    INFO("host=" << c.host << " hostaddr=" << c.hostaddr);
    CHECK(core::is_local_target(at(c.host, c.hostaddr)) == c.local);
  }
}

TEST_CASE("is_local_target reads PGHOST and PGHOSTADDR when the string has no host", "[unit][guards]") {
  {
    ScopedVariable host("PGHOST", "db.example.com");
    ScopedVariable hostaddr("PGHOSTADDR", nullptr);
    CHECK_FALSE(core::is_local_target(at("")));
    CHECK(core::is_local_target(at("/tmp")));  // the string wins over the environment
  }
  {
    ScopedVariable host("PGHOST", nullptr);
    ScopedVariable hostaddr("PGHOSTADDR", "10.0.0.1");
    CHECK_FALSE(core::is_local_target(at("")));
  }
  {
    ScopedVariable host("PGHOST", "/var/run/postgresql");
    ScopedVariable hostaddr("PGHOSTADDR", nullptr);
    CHECK(core::is_local_target(at("")));
  }
}

TEST_CASE("production environments and PGSEED_PROTECTED protect", "[unit][guards]") {
  for (const char* name : {"production", "prod", "PRODUCTION", "Prod"}) CHECK(core::is_production_environment(name));
  for (const char* name : {"dev", "staging", "prod2", "production-copy", "preprod", ""}) {
    INFO(name);
    CHECK_FALSE(core::is_production_environment(name));
  }
  struct Case {
    const char* value;
    bool protects;
  };
  for (const Case c : {Case{"1", true}, {"true", true}, {"on", true}, {"YES", true}, {"0", false}, {"", false},
                       {"off", false}, {"no", false}, {nullptr, false}}) {
    ScopedVariable variable("PGSEED_PROTECTED", c.value);
    INFO((c.value ? c.value : "(unset)"));
    CHECK(core::protected_by_environment_variable() == c.protects);
  }
}

TEST_CASE("confirm_destructive: y/N for a local target, the typed name for a remote one", "[unit][guards]") {
  ScopedVariable no_host("PGHOST", nullptr);
  ScopedVariable no_hostaddr("PGHOSTADDR", nullptr);
  const auto local = at("/tmp");
  const auto remote = at("db.example.com");
  core::SilentReporter nobody;  // no terminal

  // Local: --yes is enough; without it and without a terminal, refused.
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", true, nobody); }) == ExitCode::ok);
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", false, nobody); }) == ExitCode::refused);
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", false, nobody, std::string("appdb")); }) == ExitCode::ok);
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", true, nobody, std::string("other")); }) == ExitCode::refused);

  // Remote: --yes is not enough; the right --confirm-name is.
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", true, nobody); }) == ExitCode::refused);
  try {
    core::confirm_destructive(remote, "Replace?", true, nobody);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("another machine") != std::string::npos);
    CHECK(e.hint().find("--confirm-name appdb") != std::string::npos);
  }
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", true, nobody, std::string("appdb")); }) == ExitCode::ok);
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", false, nobody, std::string("APPDB")); }) == ExitCode::refused);

  // On a terminal: local asks y/N, remote asks for the name even with --yes.
  AnsweringReporter person;
  person.yes_no = {true, false};
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", false, person); }) == ExitCode::ok);
  CHECK(code_of([&] { core::confirm_destructive(local, "Replace?", false, person); }) == ExitCode::refused);
  CHECK(person.lines.empty());

  person.asked.clear();
  person.lines = {"appdb", "y", ""};
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", true, person); }) == ExitCode::ok);
  REQUIRE(person.asked.size() == 1);
  CHECK(person.asked[0].find("type its name") != std::string::npos);
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", false, person); }) == ExitCode::refused);  // "y"
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", false, person); }) == ExitCode::refused);  // ""
  CHECK(code_of([&] { core::confirm_destructive(remote, "Replace?", false, person); }) == ExitCode::refused);  // EOF
}

TEST_CASE("the guard and status options parse where they belong", "[unit][guards][cli]") {
  ScopedVariable no_snapshot_dir("PGSEED_SNAPSHOT_DIR", nullptr);
  for (const char* command : {"restore", "seed"}) {
    INFO(command);
    const auto invocation = cli::parse_arguments({command, "--allow-protected", "--confirm-name", "appdb"});
    CHECK(invocation.settings.allow_protected);
    REQUIRE(invocation.settings.confirm_name);
    CHECK(*invocation.settings.confirm_name == "appdb");
    CHECK_FALSE(cli::parse_arguments({command}).settings.allow_protected);
    CHECK_FALSE(cli::parse_arguments({command}).settings.confirm_name);
  }
  // A command that destroys nothing has no override to offer.
  CHECK(code_of([] { cli::parse_arguments({"dump", "--allow-protected"}); }) == ExitCode::usage);
  CHECK(code_of([] { cli::parse_arguments({"restore", "--confirm-name"}); }) == ExitCode::usage);  // needs NAME

  CHECK(cli::parse_arguments({"protect", "--off"}).settings.off);
  CHECK_FALSE(cli::parse_arguments({"protect"}).settings.off);
  CHECK(code_of([] { cli::parse_arguments({"status", "--off"}); }) == ExitCode::usage);

  const auto status = cli::parse_arguments({"status", "--json", "--snapshot-dir", "/tmp/snaps"});
  CHECK(status.settings.json);
  CHECK(status.settings.snapshot_directory == "/tmp/snaps");
  CHECK(cli::parse_arguments({"status"}).settings.snapshot_directory.empty());
  {
    ScopedVariable snapshot_dir("PGSEED_SNAPSHOT_DIR", "/srv/snapshots");
    CHECK(cli::parse_arguments({"status"}).settings.snapshot_directory == "/srv/snapshots");
    CHECK(cli::parse_arguments({"status", "--snapshot-dir", "/x"}).settings.snapshot_directory == "/x");
  }
  for (const char* command : {"status", "protect"}) {
    INFO(command);
    CHECK(cli::parse_arguments({command, "--help"}).action == cli::Action::help);
    CHECK(cli::command_help(command).find("exit codes: 0") != std::string::npos);
  }
}
