// pgseed's template databases: what `pgseed reset` clones to put a database back in a template
// copy's time.
//
// A template is named pgseed_template_<16 hex digits of its key> and says what it holds in its
// database comment:
//   pgseed template: dump <sha256 of the dump> <dump file name>
//   pgseed template: seed <sha256 of the seed inputs> <environment>
// It is marked IS_TEMPLATE and ALLOW_CONNECTIONS false, so nobody works in it by mistake and
// CREATE DATABASE ... TEMPLATE can copy it while other copies are made.
#pragma once

#include "pgseed/pg/database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

inline constexpr const char* template_prefix = "pgseed_template_";

enum class TemplateKind { dump, seed };

struct TemplateInfo {
  std::string name;
  TemplateKind kind = TemplateKind::dump;
  std::string key;     // the dump's sha256, or the seed inputs' hash
  std::string detail;  // the dump's file name, or the environment
  std::int64_t size_bytes = 0;
};

std::string template_name(const std::string& key);
std::string template_comment(TemplateKind kind, const std::string& key, const std::string& detail);
// nullopt for a comment that is not a pgseed template's.
std::optional<TemplateInfo> parse_template_comment(const std::string& name, const std::string& comment);

// Every pgseed template on the server (name prefix and a comment that parses), with its size.
std::vector<TemplateInfo> list_templates(pg::Connection& admin);

// Clears IS_TEMPLATE (a template cannot be dropped) and drops it.
void drop_template(pg::Connection& admin, const std::string& name);

}  // namespace pgseed::core
