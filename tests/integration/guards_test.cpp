// pgseed protect and the guards in front of restore and seed --clear, on a real server, with and
// without a terminal (script(1) gives pgseed a real pseudo-terminal).
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/guards.h"
#include "pgseed/pg/database.h"

#include <unistd.h>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

struct Dumped {
  testing::ScratchProject project;
  testing::PgseedRun run;
  Dumped() {
    const auto source = testing::fresh_database("guard_source");
    run = run_pgseed({"dump", "-C", project.root().string(), "--database-url", source.keyword_string()});
    // Seed profiles for the production environments, so that seed -e prod gets as far as the guard.
    const std::string dev = testing::read_text(project.root() / "seeds" / "dev.json");
    project.write("seeds/production.json", dev);
    project.write("seeds/prod.json", dev);
  }
  fs::path dump() const { return testing::latest_real_dump(project.dumps()); }
  std::string root() const { return project.root().string(); }
};

// A restored database with a marker row that a refused command must leave alone.
pg::ConnInfo restored_target(const Dumped& dumped) {
  const auto target = testing::fresh_database("guarded");
  const auto restore = run_pgseed({"restore", "--yes", "-C", dumped.root(), "--database-url", target.keyword_string(),
                                   dumped.dump().string()});
  INFO(restore.err);
  REQUIRE(restore.exit_code == 0);
  pg::Connection connection(target);
  connection.execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious');");
  return target;
}

bool marked(const pg::ConnInfo& target) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  return core::database_marked_protected(admin, target.database());
}

bool marker_intact(const pg::ConnInfo& target) {
  return testing::query_value(target, "SELECT count(*) FROM keep_me WHERE note = 'precious'") == "1";
}

std::vector<std::string> restore_args(const Dumped& dumped, const pg::ConnInfo& target, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"restore", "--yes", "-C", dumped.root(), "--database-url", target.keyword_string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dumped.dump().string());
  return args;
}

std::vector<std::string> clear_args(const Dumped& dumped, const pg::ConnInfo& target, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"seed", "--clear", "--yes", "--set", "users=12", "-C", dumped.root(),
                                "--database-url", target.keyword_string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}



}  // namespace

TEST_CASE("protect marks the database itself, --off removes the mark", "[integration][guards]") {
  testing::ScratchProject project;
  const auto target = testing::fresh_database("protect");
  const std::vector<std::string> base{"protect", "-C", project.root().string(), "--database-url", target.keyword_string()};
  CHECK_FALSE(marked(target));

  const auto on = run_pgseed(base);
  INFO(on.err);
  REQUIRE(on.exit_code == 0);
  CHECK(on.out.find("is protected") != std::string::npos);
  CHECK(marked(target));
  // A database-level setting: every new session of that database sees it, from any client.
  CHECK(testing::query_value(target, "SELECT current_setting('pgseed.protected', true)") == "on");
  CHECK(run_pgseed(base).exit_code == 0);  // protecting twice is fine
  CHECK(marked(target));

  auto off_args = base;
  off_args.push_back("--off");
  const auto off = run_pgseed(off_args);
  INFO(off.err);
  REQUIRE(off.exit_code == 0);
  CHECK(off.out.find("no longer marked protected") != std::string::npos);
  CHECK_FALSE(marked(target));
  CHECK(testing::query_value(target, "SELECT coalesce(current_setting('pgseed.protected', true), 'unset')") == "unset");

  // --off says when the environment still protects it.
  const auto off_in_production = run_pgseed(off_args, {{"PGSEED_PROTECTED", "1"}});
  CHECK(off_in_production.exit_code == 0);
  CHECK(off_in_production.err.find("PGSEED_PROTECTED still protects") != std::string::npos);

  // A database that does not exist cannot carry a mark.
  const auto missing = run_pgseed({"protect", "-C", project.root().string(), "--database-url",
                                   target.with("dbname", "no_such_database_here").keyword_string()});
  CHECK(missing.exit_code == 4);
  CHECK(missing.err.find("no_such_database_here does not exist") != std::string::npos);

  CHECK(run_pgseed({"protect", "--help"}).out.find("--off") != std::string::npos);
}

TEST_CASE("restore and seed --clear refuse a protected target with exit 5, whatever protects it", "[integration][guards]") {
  Dumped dumped;
  INFO(dumped.run.err);
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = restored_target(dumped);

  struct Protection {
    const char* what;
    std::vector<std::string> arguments;
    std::map<std::string, std::optional<std::string>> env;
    const char* reason;
  };
  const std::vector<Protection> protections = {
      {"the mark", {}, {}, "marked protected"},
      {"-e production", {"-e", "production"}, {}, "the environment is production"},
      {"-e prod", {"-e", "prod"}, {}, "the environment is prod"},
      {"PGSEED_PROTECTED=1", {}, {{"PGSEED_PROTECTED", "1"}}, "PGSEED_PROTECTED=1"},
  };
  for (const auto& protection : protections) {
    INFO(protection.what);
    const bool by_mark = protection.arguments.empty() && protection.env.empty();
    if (by_mark) {
      REQUIRE(run_pgseed({"protect", "-C", dumped.root(), "--database-url", target.keyword_string()}).exit_code == 0);
    }
    const auto restore = run_pgseed(restore_args(dumped, target, protection.arguments), protection.env);
    INFO(restore.err);
    CHECK(restore.exit_code == 5);
    CHECK(restore.err.find("database " + target.database() + " is protected") != std::string::npos);
    CHECK(restore.err.find(protection.reason) != std::string::npos);
    CHECK(restore.err.find("--allow-protected") != std::string::npos);
    CHECK(marker_intact(target));

    const auto clear = run_pgseed(clear_args(dumped, target, protection.arguments), protection.env);
    INFO(clear.err);
    CHECK(clear.exit_code == 5);
    CHECK(clear.err.find("is protected") != std::string::npos);
    CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "11");

    // --allow-protected alone is not enough: without a terminal the name must be given.
    const auto unnamed = run_pgseed(restore_args(dumped, target, [&] {
                                      auto a = protection.arguments;
                                      a.push_back("--allow-protected");
                                      return a;
                                    }()),
                                    protection.env);
    CHECK(unnamed.exit_code == 5);
    CHECK(unnamed.err.find("--confirm-name " + target.database()) != std::string::npos);
    // --confirm-name alone is not enough either.
    const auto no_allow = run_pgseed(restore_args(dumped, target, [&] {
                                       auto a = protection.arguments;
                                       a.insert(a.end(), {"--confirm-name", target.database()});
                                       return a;
                                     }()),
                                     protection.env);
    CHECK(no_allow.exit_code == 5);
    CHECK(marker_intact(target));
    if (by_mark) {
      REQUIRE(run_pgseed({"protect", "--off", "-C", dumped.root(), "--database-url", target.keyword_string()}).exit_code == 0);
    }
  }
  // Unprotected again: the same commands go through.
  const auto clear = run_pgseed(clear_args(dumped, target));
  INFO(clear.err);
  CHECK(clear.exit_code == 0);
  CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "13");
}

TEST_CASE("the override needs --allow-protected and the right --confirm-name, a wrong name is refused", "[integration][guards]") {
  Dumped dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = restored_target(dumped);
  REQUIRE(run_pgseed({"protect", "-C", dumped.root(), "--database-url", target.keyword_string()}).exit_code == 0);

  const auto wrong = run_pgseed(restore_args(dumped, target, {"--allow-protected", "--confirm-name", target.database() + "x"}));
  CHECK(wrong.exit_code == 5);
  CHECK(wrong.err.find("does not match") != std::string::npos);
  CHECK(marker_intact(target));
  const auto wrong_clear = run_pgseed(clear_args(dumped, target, {"--allow-protected", "--confirm-name", "postgres"}));
  CHECK(wrong_clear.exit_code == 5);
  CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "11");

  const auto clear = run_pgseed(clear_args(dumped, target, {"--allow-protected", "--confirm-name", target.database()}));
  INFO(clear.err);
  CHECK(clear.exit_code == 0);
  CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "13");

  // Without --yes: the confirmed name is the confirmation.
  const auto restore = run_pgseed({"restore", "-C", dumped.root(), "--database-url", target.keyword_string(),
                                   "--allow-protected", "--confirm-name", target.database(), dumped.dump().string()});
  INFO(restore.err);
  CHECK(restore.exit_code == 0);
  CHECK(restore.err.find("going ahead") != std::string::npos);
  CHECK(testing::query_value(target, "SELECT to_regclass('keep_me') IS NULL") == "t");  // replaced
  CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "11");
  // The restored database is a new database: the mark came along, so it is still protected.
  CHECK(marked(target));
  CHECK(run_pgseed(restore_args(dumped, target)).exit_code == 5);
}

TEST_CASE("on a terminal the protected database's name is typed at the prompt", "[integration][guards]") {
  Dumped dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = restored_target(dumped);
  REQUIRE(run_pgseed({"protect", "-C", dumped.root(), "--database-url", target.keyword_string()}).exit_code == 0);
  const std::vector<std::string> args{"restore", "--allow-protected", "-C", dumped.root(), "--database-url",
                                      target.keyword_string(), dumped.dump().string()};

  const auto wrong = testing::run_pgseed_on_terminal(args, "not_the_name\n");
  INFO(wrong.out);
  CHECK(wrong.exit_code == 5);
  CHECK(wrong.out.find("Type the database name") != std::string::npos);
  CHECK(wrong.out.find("typed name does not match") != std::string::npos);
  CHECK(marker_intact(target));

  // Without --allow-protected the terminal is not even asked.
  const auto refused = testing::run_pgseed_on_terminal({"restore", "-C", dumped.root(), "--database-url", target.keyword_string(),
                                        dumped.dump().string()},
                                       target.database() + "\n");
  INFO(refused.out);
  CHECK(refused.exit_code == 5);
  CHECK(refused.out.find("Type the database name") == std::string::npos);
  CHECK(marker_intact(target));

  const auto typed = testing::run_pgseed_on_terminal(args, target.database() + "\n");
  INFO(typed.out);
  CHECK(typed.exit_code == 0);
  CHECK(typed.out.find("Type the database name") != std::string::npos);
  CHECK(typed.out.find("[y/N]") == std::string::npos);  // the typed name was the confirmation
  CHECK(testing::query_value(target, "SELECT to_regclass('keep_me') IS NULL") == "t");
  CHECK(marked(target));
}

TEST_CASE("a local target over TCP (127.0.0.1) gets y/N, not the typed name", "[integration][guards]") {
  Dumped dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto socket_target = restored_target(dumped);
  const auto tcp_target = testing::test_server().tcp_connection(socket_target.database());
  REQUIRE(core::is_local_target(tcp_target));

  // Without a terminal --yes is enough for a loopback target.
  const auto yes = run_pgseed(clear_args(dumped, tcp_target));
  INFO(yes.err);
  CHECK(yes.exit_code == 0);
  CHECK(testing::query_value(socket_target, "SELECT count(*) FROM users") == "13");

  // On a terminal it is asked y/N; "n" leaves it alone, "y" goes ahead.
  const std::vector<std::string> args{"seed", "--clear", "--set", "users=14", "-C", dumped.root(), "--database-url",
                                      tcp_target.keyword_string()};
  const auto no = testing::run_pgseed_on_terminal(args, "n\n");
  INFO(no.out);
  CHECK(no.exit_code == 5);
  CHECK(no.out.find("[y/N]") != std::string::npos);
  CHECK(no.out.find("type its name") == std::string::npos);
  CHECK(testing::query_value(socket_target, "SELECT count(*) FROM users") == "13");
  const auto go = testing::run_pgseed_on_terminal(args, "y\n");
  INFO(go.out);
  CHECK(go.exit_code == 0);
  CHECK(testing::query_value(socket_target, "SELECT count(*) FROM users") == "15");
}
