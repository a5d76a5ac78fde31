#include "pgseed/core/templates.h"

#include "pgseed/core/server_admin.h"

#include <sstream>

namespace pgseed::core {

std::string template_name(const std::string& key) { return template_prefix + key.substr(0, 16); }

std::string template_comment(TemplateKind kind, const std::string& key, const std::string& detail) {
  return std::string("pgseed template: ") + (kind == TemplateKind::dump ? "dump " : "seed ") + key + " " + detail;
}

std::optional<TemplateInfo> parse_template_comment(const std::string& name, const std::string& comment) {
  std::istringstream words(comment);
  std::string pgseed, template_word, kind;
  TemplateInfo info;
  if (!(words >> pgseed >> template_word >> kind >> info.key) || pgseed != "pgseed" || template_word != "template:") return std::nullopt;
  if (kind == "dump") info.kind = TemplateKind::dump;
  else if (kind == "seed") info.kind = TemplateKind::seed;
  else return std::nullopt;
  std::getline(words >> std::ws, info.detail);
  info.name = name;
  if (name != template_name(info.key)) return std::nullopt;
  return info;
}

std::vector<TemplateInfo> list_templates(pg::Connection& admin) {
  std::vector<TemplateInfo> templates;
  const auto rows = admin.query(
      "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), ''), pg_database_size(oid) FROM pg_database "
      "WHERE starts_with(datname, " + admin.quote_literal(template_prefix) + ") ORDER BY datname");
  for (const auto& row : rows) {
    if (auto info = parse_template_comment(row[0].value_or(""), row[1].value_or(""))) {
      info->size_bytes = std::stoll(row[2].value_or("0"));
      templates.push_back(std::move(*info));
    }
  }
  return templates;
}

void drop_template(pg::Connection& admin, const std::string& name) {
  admin.execute("ALTER DATABASE " + admin.quote_identifier(name) + " IS_TEMPLATE false");
  drop_database(admin, name);
}

}  // namespace pgseed::core
