#include "support/catch.h"

#include "pgseed/error.h"
#include "pgseed/pg/conninfo.h"

#include <cstdlib>
#include <utility>
#include <vector>

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

TEST_CASE("a connection string libpq rejects is never echoed with its password", "[unit][conninfo]") {
  // Each of these makes libpq quote the text it rejected: the whole URI, or the password alone.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"postgresql://app:s3cret@[bad/app", "s3cret"},
      {"postgresql://user:topsecret@host:notaport/db?nosuchoption=1", "topsecret"},
      {"postgresql://app:s3%zzcret@host/app", "s3%zzcret"},
      {"postgresql://app@host/app?password=hunter2&bogus=1", "hunter2"},
      {"host=x password='s3 cret", "s3 cret"},
      {"host=x password=plain nosuchkey=1", "plain"},
      {"host=x sslpassword=keypass nosuchkey=1", "keypass"},
      {"postgresql://app:p@ss@w0rd@host/app?bogus=1", "p@ss@w0rd"},
      {"postgresql://app:50%off@db.example.com/app?application_name=me@laptop", "50%off"},
      {"postgresql:/app:s3cret@host/app", "s3cret"},
      {"app:s3cret@host/app", "s3cret"},
      {"host=x PASSWORD=s3cret", "s3cret"},
      {"host=x passwd=s3cret", "s3cret"},
      {"host=x dbname=postgresql://app:s3cret@h/db", "s3cret"},
  };
  for (const auto& [text, secret] : cases) {
    CAPTURE(text);
    try {
      pg::ConnInfo::parse(text);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      const std::string message = std::string(e.what()) + "\n" + e.hint();
      CHECK(message.rfind("database url is invalid", 0) == 0);
      CHECK(message.find(secret) == std::string::npos);
      // The secret's pieces do not leak either (the ' ' of "s3 cret", the '@' of "p@ss@w0rd").
      CHECK(message.find("cret") == std::string::npos);
      CHECK(message.find("w0rd") == std::string::npos);
    }
  }
}

TEST_CASE("redaction masks every password form and leaves the rest", "[unit][conninfo]") {
  CHECK(pg::redact_connection_text("postgresql://app:s3cret@db.example:5432/app") == "postgresql://app:***@db.example:5432/app");
  CHECK(pg::redact_connection_text("host=db password=abc dbname=app") == "host=db password=*** dbname=app");
  CHECK(pg::redact_connection_text("postgresql://app@db/app") == "postgresql://app@db/app");
}
