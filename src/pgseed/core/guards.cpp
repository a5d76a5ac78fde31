#include "pgseed/core/guards.h"

#include "pgseed/core/server_admin.h"
#include "pgseed/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace pgseed::core {
namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The values PostgreSQL reads as true for a boolean setting (and that a person would write).
bool is_true_word(const std::string& value) {
  const std::string word = lowercase(trim(value));
  return word == "on" || word == "true" || word == "yes" || word == "1" || word == "t" || word == "y";
}

bool is_false_word(const std::string& value) {
  const std::string word = lowercase(trim(value));
  return word == "off" || word == "false" || word == "no" || word == "0" || word == "f" || word == "n";
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    parts.push_back(trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

bool is_loopback_address(std::string address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  // A zone index (fe80::1%eth0) is never loopback; inet_pton rejects it, which is what we want.
  in_addr v4{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

// One element of libpq's host list.
bool is_local_host(const std::string& host) {
  if (host.empty()) return true;                             // libpq's default: the unix socket
  if (host.front() == '/' || host.front() == '@') return true;  // socket directory, abstract socket
  const std::string name = lowercase(host);
  if (name == "localhost" || name == "localhost.") return true;
  return is_loopback_address(host);
}

std::optional<std::string> environment_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string where(const pg::ConnInfo& target) {
  const auto host = target.get("hostaddr") ? target.get("hostaddr") : target.get("host");
  return host.value_or(environment_value("PGHOSTADDR").value_or(environment_value("PGHOST").value_or("the local socket")));
}

std::string joined(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

}  // namespace

bool is_production_environment(const std::string& environment) {
  const std::string name = lowercase(environment);
  return name == "production" || name == "prod";
}

bool protected_by_environment_variable() {
  const auto value = environment_value("PGSEED_PROTECTED");
  // Fails closed: a safety switch set to a word we do not know ("2", "enabled") protects; only an
  // explicit no turns it off.
  return value && !is_false_word(*value);
}

bool database_marked_protected(pg::Connection& admin, const std::string& database) {
  // pg_db_role_setting, not current_setting(): that would only see the database we are connected to.
  // A custom setting is stored as written, "pgseed.protected=on"; the name part is compared without
  // case because PostgreSQL folds setting names.
  const std::string prefix = std::string(protected_setting) + "=";
  const auto rows = admin.query(
      "SELECT substr(c, " + std::to_string(prefix.size() + 1) +
      ") FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c "
      "WHERE d.datname = " + admin.quote_literal(database) + " AND s.setrole = 0 AND lower(c) LIKE " +
      admin.quote_literal(prefix + "%"));
  for (const auto& row : rows) {
    if (row[0] && is_true_word(*row[0])) return true;
  }
  return false;
}

void set_database_protected(pg::Connection& admin, const std::string& database, bool protect) {
  admin.execute("ALTER DATABASE " + admin.quote_identifier(database) +
                (protect ? std::string(" SET ") + protected_setting + " = on" : std::string(" RESET ") + protected_setting));
}

std::vector<std::string> protection_reasons(const pg::ConnInfo& target, const std::string& environment) {
  std::vector<std::string> reasons;
  if (is_production_environment(environment)) reasons.push_back("the environment is " + environment);
  if (protected_by_environment_variable()) reasons.push_back("PGSEED_PROTECTED=" + environment_value("PGSEED_PROTECTED").value_or(""));
  // Fails closed: a server we cannot ask is an error, never "not protected".
  const auto admin = connect_maintenance(target);
  if (database_marked_protected(*admin, target.database())) {
    reasons.push_back("it is marked protected (pgseed protect; pgseed protect --off removes the mark)");
  }
  return reasons;
}

bool check_not_protected(const pg::ConnInfo& target, const std::string& environment, const GuardOptions& options,
                         Reporter& reporter) {
  const auto reasons = protection_reasons(target, environment);
  if (reasons.empty()) return false;
  const std::string database = target.database();
  const std::string why = "database " + database + " is protected: " + joined(reasons, ", and ");
  if (!options.allow_protected) {
    throw Error(ExitCode::refused, why + "; nothing was changed",
                "to act on it anyway pass --allow-protected and confirm its name (typed at the prompt, or "
                "--confirm-name " + database + " without a terminal)");
  }
  if (options.confirm_name) {
    if (*options.confirm_name != database) {
      throw Error(ExitCode::refused, "--confirm-name '" + *options.confirm_name + "' does not match the target; " + why +
                                         "; nothing was changed");
    }
  } else if (reporter.interactive()) {
    const auto answer = reporter.ask_line(why + ". Type the database name to go ahead:");
    if (!answer || *answer != database) {
      throw Error(ExitCode::refused, "the typed name does not match; " + why + "; nothing was changed");
    }
  } else {
    throw Error(ExitCode::refused, why + ", and --allow-protected needs its name, which nobody typed; nothing was changed",
                "without a terminal pass --confirm-name " + database);
  }
  reporter.warning(why + "; going ahead: --allow-protected and its name confirmed");
  return true;
}

bool is_local_target(const pg::ConnInfo& target) {
  auto host = target.get("host");
  auto hostaddr = target.get("hostaddr");
  if (!host && !hostaddr) {
    // What libpq will use instead: the environment, else its default unix socket.
    host = environment_value("PGHOST");
    hostaddr = environment_value("PGHOSTADDR");
  }
  const auto hosts = split_list(host.value_or(""));
  if (!hostaddr) {
    return std::all_of(hosts.begin(), hosts.end(), [](const std::string& h) { return is_local_host(h); });
  }
  // hostaddr is where libpq connects; host then only names the server (for TLS and passwords). An
  // empty hostaddr element falls back to the host element at the same position.
  const auto addresses = split_list(*hostaddr);
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (!addresses[i].empty()) {
      if (!is_loopback_address(addresses[i])) return false;
    } else if (!is_local_host(i < hosts.size() ? hosts[i] : std::string())) {
      return false;
    }
  }
  return true;
}

void confirm_destructive(const pg::ConnInfo& target, const std::string& question, bool assume_yes, Reporter& reporter,
                         const std::optional<std::string>& confirm_name) {
  const std::string database = target.database();
  if (confirm_name) {
    if (*confirm_name != database) {
      throw Error(ExitCode::refused,
                  "--confirm-name '" + *confirm_name + "' does not match the target, database " + database + "; nothing was changed");
    }
    return;
  }
  if (is_local_target(target)) {
    if (assume_yes) return;
    if (!reporter.interactive()) {
      throw Error(ExitCode::refused, "database " + database + " was not changed: nobody confirmed \"" + question + "\"",
                  "pass --yes to go ahead without a terminal");
    }
    if (!reporter.confirm(question)) throw Cancelled();  // a "no" is an answer, not an error
    return;
  }
  const std::string elsewhere = "database " + database + " is on another machine (" + where(target) + ")";
  if (reporter.interactive()) {
    const auto answer = reporter.ask_line(question + " " + elsewhere + "; type its name to go ahead:");
    if (!answer || *answer != database) {
      throw Error(ExitCode::refused, "the typed name does not match; " + elsewhere + " and was not changed");
    }
    return;
  }
  throw Error(ExitCode::refused, elsewhere + " and nobody confirmed its name; nothing was changed",
              "pass --confirm-name " + database + " (--yes alone is not enough for a database on another machine)");
}

}  // namespace pgseed::core
