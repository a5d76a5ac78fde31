// A parsed libpq connection string (URI or keyword/value form).
//
// The password is the one secret here. It reaches libpq in-process through keyword_string(), and
// child tools through the PGPASSWORD environment variable; redacted() and argument_string() never
// contain it, so it cannot end up in a log line or in another process's argv.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgseed::pg {

class ConnInfo {
public:
  // Throws pgseed::Error(usage) naming what libpq did not accept.
  static ConnInfo parse(const std::string& text);
  static ConnInfo from_options(std::vector<std::pair<std::string, std::string>> options);

  std::optional<std::string> get(const std::string& keyword) const;
  ConnInfo with(const std::string& keyword, const std::string& value) const;
  ConnInfo without(const std::string& keyword) const;
  // Adds `-c name=value` to the options the server applies at connection start, after those the
  // string already has or, when it has none, those of PGOPTIONS (which libpq ignores once the string
  // has options). For a child tool that is a setting on each of its sessions.
  ConnInfo with_setting(const std::string& name, const std::string& value) const;

  // The database to work on; libpq's default (the user name) when none is given.
  std::string database() const;
  bool has_password() const { return get("password").has_value(); }

  // Complete keyword/value string for an in-process libpq connection. Contains the password.
  std::string keyword_string() const;
  // For a child tool's -d argument: everything but secrets.
  std::string argument_string() const;
  // For child tools: PGPASSWORD when there is a password.
  std::map<std::string, std::optional<std::string>> secret_environment() const;
  // For messages and logs: host, port, database, user only.
  std::string redacted() const;

private:
  std::vector<std::pair<std::string, std::string>> options_;  // in libpq's order, non-empty only
};

// A connection string as it may be shown: every part that could be a password (a URI's user-info
// password, password=/sslpassword= values) replaced by ***, also when the string is malformed.
std::string redact_connection_text(const std::string& text);
// `message` with every secret of `connection_text` in it replaced by ***: for libpq's own messages,
// which may quote the text they rejected.
std::string redact_secrets_of(const std::string& connection_text, std::string message);

// Quotes a value for a libpq keyword/value string when it needs it.
std::string quote_conninfo_value(const std::string& value);

}  // namespace pgseed::pg
