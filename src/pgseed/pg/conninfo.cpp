#include "pgseed/pg/conninfo.h"

#include "pgseed/error.h"

#include <cstdlib>
#include <libpq-fe.h>

namespace pgseed::pg {
namespace {
bool is_secret(const std::string& keyword) { return keyword == "password" || keyword == "sslpassword"; }
}  // namespace

ConnInfo ConnInfo::parse(const std::string& text) {
  char* error_message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &error_message);
  if (parsed == nullptr) {
    std::string reason = error_message != nullptr ? error_message : "out of memory";
    PQfreemem(error_message);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    // libpq's message may quote the offending text; it never echoes a password value on its own
    // but could quote a malformed fragment, so we do not repeat the input itself.
    throw Error(ExitCode::usage, "database url is invalid: " + reason,
                "use postgresql://user@host:port/dbname or 'host=... dbname=...'");
  }
  ConnInfo info;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && option->val[0] != '\0') info.options_.emplace_back(option->keyword, option->val);
  }
  PQconninfoFree(parsed);
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
