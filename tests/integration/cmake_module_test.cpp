// The CMake module as another project uses it: targets, cache variables, the URL kept off command lines.
#include "support/catch.h"
#include "support/test_support.h"

#include <sys/stat.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {
util::CommandResult cmake(std::vector<std::string> arguments) {
  util::Command command;
  command.argv = {"cmake"};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.env["DATABASE_URL"] = std::nullopt;
  return util::run_command(command);
}
}  // namespace

TEST_CASE("the CMake module's targets seed with PGSEED_SEED_SET and keep the URL off command lines", "[integration][cmake]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("cmake");
  // A password the server does not need (trust), so that it must not show up anywhere.
  const std::string url = database.with("password", "cmake-secret").keyword_string();
  const fs::path consumer = project.root() / "consumer";
  project.write("consumer/CMakeLists.txt",
                "cmake_minimum_required(VERSION 3.25)\n"
                "project(consumer LANGUAGES NONE)\n"
                "include(\"" PGSEED_SOURCE_DIR "/cmake/pgseed.cmake\")\n"
                "pgseed_add_database_targets(PGSEED_EXECUTABLE \"" PGSEED_BINARY "\" PROJECT_DIR \"" +
                    project.root().string() + "\")\n");
  const fs::path build = consumer / "build";
  const auto configure = cmake({"-S", consumer.string(), "-B", build.string(), "-DPGSEED_DATABASE_URL=" + url,
                                "-DPGSEED_SEED_SET=users=6;orders=7"});
  INFO(configure.stdout_text + configure.stderr_text);
  REQUIRE(configure.ok());

  for (const char* target : {"migrate", "seed"}) {
    INFO(target);
    const auto built = cmake({"--build", build.string(), "--target", target, "--", "VERBOSE=1"});
    INFO(built.stdout_text + built.stderr_text);
    REQUIRE(built.ok());
    // The commands are echoed with VERBOSE=1: the password must not be in them.
    CHECK(built.stdout_text.find("cmake-secret") == std::string::npos);
    CHECK(built.stdout_text.find("--database-url-file=") != std::string::npos);
  }
  CHECK(testing::query_value(database, "SELECT count(*) FROM users") == "7");  // 6 generated + the superuser
  CHECK(testing::query_value(database, "SELECT count(*) FROM orders") == "7");

  // The URL file is readable by its owner only.
  struct stat info {};
  REQUIRE(::stat((build / "pgseed" / "database-url").c_str(), &info) == 0);
  CHECK((info.st_mode & 0077) == 0);
}
