#include "pgseed/pg/conninfo.h"

#include "pgseed/error.h"

#include <algorithm>
#include <cstdlib>
#include <libpq-fe.h>

namespace pgseed::pg {
namespace {
bool is_secret(const std::string& keyword) { return keyword == "password" || keyword == "sslpassword"; }

// The substrings of a connection string that may be secrets, found without trusting it to be valid:
// the password of a URI's user info, and the value of every password=/sslpassword= (URI query
// parameter or keyword), quoted or not.
std::vector<std::string> secret_candidates(const std::string& text) {
  std::vector<std::string> found;
  if (const auto scheme = text.find("://"); scheme != std::string::npos) {
    const auto at = text.rfind('@');
    if (at != std::string::npos && at > scheme) {
      const std::string user_info = text.substr(scheme + 3, at - scheme - 3);
      if (const auto colon = user_info.find(':'); colon != std::string::npos && colon + 1 < user_info.size()) {
        found.push_back(user_info.substr(colon + 1));
      }
    }
  }
  for (std::size_t from = 0; (from = text.find("password", from)) != std::string::npos;) {
    std::size_t position = from + 8;
    from = position;
    while (position < text.size() && text[position] == ' ') ++position;
    if (position >= text.size() || text[position] != '=') continue;
    ++position;
    while (position < text.size() && text[position] == ' ') ++position;
    std::string value;
    if (position < text.size() && text[position] == '\'') {
      for (++position; position < text.size() && text[position] != '\''; ++position) {
        if (text[position] == '\\' && position + 1 < text.size()) ++position;
        value += text[position];
      }
      if (!value.empty()) found.push_back(value);
      // An unterminated quote: everything after it may be the secret.
      if (position >= text.size()) found.push_back(text.substr(text.find('\'', from) + 1));
    } else {
      const auto end = text.find_first_of(" &\t\n", position);
      value = text.substr(position, end == std::string::npos ? std::string::npos : end - position);
      if (!value.empty()) found.push_back(value);
    }
  }
  // Longest first, so that a candidate containing another is replaced whole.
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  if (what.empty()) return text;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += with.size()) text.replace(at, what.size(), with);
  return text;
}
}  // namespace

std::string redact_secrets_of(const std::string& connection_text, std::string message) {
  for (const auto& secret : secret_candidates(connection_text)) message = replace_all(std::move(message), secret, "***");
  return message;
}

std::string redact_connection_text(const std::string& text) { return redact_secrets_of(text, text); }

ConnInfo ConnInfo::parse(const std::string& text) {
  char* error_message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &error_message);
  if (parsed == nullptr) {
    std::string reason = error_message != nullptr ? error_message : "out of memory";
    PQfreemem(error_message);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    // libpq quotes the text it rejected, and that text may be the whole URI with its password, or
    // the password alone ("invalid percent-encoded token"). Both go through the same redaction.
    // libpq quotes the text it rejected: the whole URI, a keyword with its value, or the password alone
    // ("invalid percent-encoded token"). No rule can tell which part of a malformed string is the
    // secret, so the message keeps libpq's words and drops every quoted fragment.
    std::string safe;
    bool quoted = false;
    for (const char c : reason) {
      if (c == '"') {
        if (!quoted) safe += "\"...\"";
        quoted = !quoted;
      } else if (!quoted) {
        safe += c;
      }
    }
    throw Error(ExitCode::usage, "database url is invalid: " + redact_secrets_of(text, safe),
                "use postgresql://user@host:port/dbname or 'host=... dbname=...'; keep the password in ~/.pgpass");
  }
  ConnInfo info;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && option->val[0] != '\0') info.options_.emplace_back(option->keyword, option->val);
  }
  PQconninfoFree(parsed);
  // libpq expands a dbname that is itself a connection string; pgseed would show it as a name.
  if (const auto name = info.get("dbname");
      name && (name->find('=') != std::string::npos || name->rfind("postgres://", 0) == 0 || name->rfind("postgresql://", 0) == 0)) {
    throw Error(ExitCode::usage, "database url is invalid: its database name is itself a connection string",
                "give that connection string as the url");
  }
  return info;
}

ConnInfo ConnInfo::from_options(std::vector<std::pair<std::string, std::string>> options) {
  ConnInfo info;
  info.options_ = std::move(options);
  return info;
}

std::optional<std::string> ConnInfo::get(const std::string& keyword) const {
  for (const auto& [key, value] : options_) {
    if (key == keyword) return value;
  }
  return std::nullopt;
}

ConnInfo ConnInfo::with(const std::string& keyword, const std::string& value) const {
  ConnInfo copy = without(keyword);
  copy.options_.emplace_back(keyword, value);
  return copy;
}

ConnInfo ConnInfo::without(const std::string& keyword) const {
  ConnInfo copy;
  for (const auto& option : options_) {
    if (option.first != keyword) copy.options_.push_back(option);
  }
  return copy;
}

ConnInfo ConnInfo::with_setting(const std::string& name, const std::string& value) const {
  std::string options;
  if (auto existing = get("options")) {
    options = *existing;
  } else if (const char* environment = std::getenv("PGOPTIONS"); environment != nullptr) {
    options = environment;
  }
  // In the options string, whitespace separates arguments and a backslash escapes the next byte.
  std::string argument = "-c " + name + "=";
  for (const char c : value) {
    if (c == ' ' || c == '\\' || c == '\t') argument += '\\';
    argument += c;
  }
  return with("options", options.empty() ? argument : options + " " + argument);
}

std::string ConnInfo::database() const {
  if (auto name = get("dbname")) return *name;
  if (const char* name = std::getenv("PGDATABASE"); name != nullptr && *name != '\0') return name;
  if (auto user = get("user")) return *user;
  if (const char* user = std::getenv("PGUSER"); user != nullptr && *user != '\0') return user;
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  return "postgres";
}

std::string quote_conninfo_value(const std::string& value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '\'' || c == '\\' || c == '\t' || c == '\n' || c == '=') needs_quotes = true;
  }
  if (!needs_quotes) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string ConnInfo::keyword_string() const {
  std::string out;
  for (const auto& [key, value] : options_) {
    if (!out.empty()) out.push_back(' ');
    out += key + "=" + quote_conninfo_value(value);
  }
  return out;
}

std::string ConnInfo::argument_string() const {
  std::string out;
  for (const auto& [key, value] : options_) {
    if (is_secret(key)) continue;
    if (!out.empty()) out.push_back(' ');
    out += key + "=" + quote_conninfo_value(value);
  }
  // A lone database name would be taken as a plain name, which is fine; an empty string would make
  // the tool fall back to its own defaults, which is what an empty conninfo means too.
  return out;
}

std::map<std::string, std::optional<std::string>> ConnInfo::secret_environment() const {
  std::map<std::string, std::optional<std::string>> env;
  if (auto password = get("password")) env["PGPASSWORD"] = *password;
  return env;
}

std::string ConnInfo::redacted() const {
  std::string out;
  for (const char* keyword : {"host", "port", "dbname", "user"}) {
    if (auto value = get(keyword)) {
      if (!out.empty()) out.push_back(' ');
      out += std::string(keyword) + "=" + quote_conninfo_value(*value);
    }
  }
  if (has_password()) out += out.empty() ? "password=***" : " password=***";
  return out.empty() ? "(libpq defaults)" : out;
}

}  // namespace pgseed::pg
