#include "support/catch.h"

#include "pgseed/error.h"
#include "pgseed/pg/conninfo.h"

#include <cstdlib>

using namespace pgseed;

TEST_CASE("a URI with a password keeps the password out of argv and logs", "[unit][conninfo]") {
  const auto info = pg::ConnInfo::parse("postgresql://app:s3cret%20pw@db.example:6543/appdb?sslmode=require");
  CHECK(info.get("host") == "db.example");
  CHECK(info.get("port") == "6543");
  CHECK(info.database() == "appdb");
  CHECK(info.get("password") == "s3cret pw");

  CHECK(info.argument_string().find("s3cret") == std::string::npos);
  CHECK(info.argument_string().find("sslmode=require") != std::string::npos);
  CHECK(info.redacted().find("s3cret") == std::string::npos);
  CHECK(info.redacted().find("password=***") != std::string::npos);
  CHECK(info.secret_environment().at("PGPASSWORD") == "s3cret pw");
  // In-process libpq gets everything, quoted.
  CHECK(info.keyword_string().find("password='s3cret pw'") != std::string::npos);
}

TEST_CASE("keyword strings parse and database overrides work", "[unit][conninfo]") {
  const auto info = pg::ConnInfo::parse("host=/tmp/sock port=5433 dbname=dev user=me");
  CHECK(info.database() == "dev");
  CHECK(!info.has_password());
  CHECK(info.secret_environment().empty());
  const auto other = info.with("dbname", "postgres");
  CHECK(other.database() == "postgres");
  CHECK(info.database() == "dev");
}

TEST_CASE("session settings add to the options a connection already has", "[unit][conninfo]") {
  const auto plain = pg::ConnInfo::parse("host=/tmp dbname=dev");
  ::unsetenv("PGOPTIONS");
  CHECK(plain.with_setting("default_toast_compression", "lz4").get("options") == "-c default_toast_compression=lz4");

  const auto tuned = pg::ConnInfo::parse("host=/tmp dbname=dev options='-c work_mem=64MB'");
  CHECK(tuned.with_setting("application_name", "two words").get("options") ==
        "-c work_mem=64MB -c application_name=two\\ words");

  // libpq ignores PGOPTIONS once the string has options, so what PGOPTIONS said is carried over.
  ::setenv("PGOPTIONS", "-c statement_timeout=0", 1);
  CHECK(plain.with_setting("default_toast_compression", "lz4").get("options") ==
        "-c statement_timeout=0 -c default_toast_compression=lz4");
  ::unsetenv("PGOPTIONS");
  // And it reaches a child tool's -d argument, which carries no secrets.
  CHECK(plain.with_setting("default_toast_compression", "lz4").argument_string().find("default_toast_compression=lz4") !=
        std::string::npos);
}

TEST_CASE("values that need quoting are quoted", "[unit][conninfo]") {
  CHECK(pg::quote_conninfo_value("plain") == "plain");
  CHECK(pg::quote_conninfo_value("two words") == "'two words'");
  CHECK(pg::quote_conninfo_value("it's") == "'it\\'s'");
  CHECK(pg::quote_conninfo_value("") == "''");
  // Round trip through libpq's own parser.
  const auto info = pg::ConnInfo::from_options({{"dbname", "we ird'name"}, {"user", "x"}});
  CHECK(pg::ConnInfo::parse(info.keyword_string()).database() == "we ird'name");
}

TEST_CASE("an invalid URL is a usage error that does not echo it", "[unit][conninfo]") {
  try {
    pg::ConnInfo::parse("postgresql://user:topsecret@host:notaport/db?nosuchoption=1");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK(std::string(e.what()).rfind("database url is invalid", 0) == 0);
    CHECK(std::string(e.what()).find("topsecret") == std::string::npos);
  }
}
