#include "pgseed/core/inputs.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/seed.h"
#include "pgseed/core/seed/profile.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <system_error>

namespace pgseed::core {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
std::string reason(const std::system_error& e) {
  std::string text = e.code().message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}
}  // namespace

std::string project_relative(const fs::path& root, const fs::path& file) {
  const fs::path normal = fs::absolute(file).lexically_normal();
  const fs::path relative = normal.lexically_relative(fs::absolute(root).lexically_normal());
  // Empty when there is no relative path at all (another root name); the absolute path still names it.
  return (relative.empty() ? normal : relative).generic_string();
}

Inputs compute_inputs(const ProjectLayout& project, const std::string& environment, const seed::CountOverrides& counts) {
  Inputs inputs;
  InputParts& parts = inputs.parts;
  parts.environment = environment;
  for (const auto& migration : discover_migrations(project.migrations_directory)) {
    parts.migrations[migration.path.filename().string()] = migration.sha256;
  }

  // plan_seed finds the seeds exactly as the seed step of a dump does, and refuses what it refuses.
  SeedRequest request;
  request.environment = environment;
  request.counts = counts;
  const SeedPlan plan = plan_seed(project, request);
  auto hash = [](const fs::path& file) {
    try {
      return util::sha256_hex(util::read_file(file));
    } catch (const std::system_error& e) {
      throw Error(ExitCode::usage, "seed file " + file.string() + " cannot be read: " + reason(e));
    }
  };
  if (plan.is_profile) {
    parts.seed_profile = project_relative(project.root, plan.source);
    parts.seed_profile_sha256 = hash(plan.source);
    auto profile = seed::Profile::load(plan.source, parts.seed_profile);
    seed::apply_counts(profile, seed::with_environment_counts(profile, counts));
    for (const auto& step : profile.steps) {
      if (step->kind == seed::Step::Kind::generate) parts.seed_set[step->table] = step->count;
      else parts.seed_files[project_relative(project.root, step->file)] = hash(step->file);
    }
  } else {
    for (const auto& step : plan.steps) {
      const fs::path file = plan.source / step.what;
      parts.seed_files[project_relative(project.root, file)] = hash(file);
    }
  }
  inputs.fingerprint = fingerprint_of(parts);
  return inputs;
}

namespace {

json parts_to_json(const InputParts& parts) {
  json object = {{"dataFormat", parts.data_format},
                 {"environment", parts.environment},
                 {"migrations", parts.migrations},
                 {"seedFiles", parts.seed_files},
                 {"seedSet", parts.seed_set}};
  object["seedProfile"] = parts.seed_profile.empty()
                              ? json(nullptr)
                              : json{{"path", parts.seed_profile}, {"sha256", parts.seed_profile_sha256}};
  return object;
}

}  // namespace

std::string fingerprint_of(const InputParts& parts) {
  // nlohmann::json keeps object keys sorted, so the compact form is canonical: the same parts give
  // the same bytes whatever order the files were found or the counts were given in.
  return util::sha256_hex("pgseed inputs\n" + parts_to_json(parts).dump(-1, ' ', false, json::error_handler_t::replace));
}

json inputs_to_json(const Inputs& inputs) { return {{"fingerprint", inputs.fingerprint}, {"parts", parts_to_json(inputs.parts)}}; }

namespace {

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) throw InputsFormatError("missing field " + where + key);
  return object.at(key);
}

std::string checksum_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string() || !is_sha256_hex(value.get<std::string>())) {
    throw InputsFormatError("field " + where + key + " is not 64 lowercase hex digits");
  }
  return value.get<std::string>();
}

std::map<std::string, std::string> checksum_map(const json& parts, const char* key) {
  const json& object = member(parts, key, "inputs.parts.");
  if (!object.is_object()) throw InputsFormatError(std::string("field inputs.parts.") + key + " must be an object");
  std::map<std::string, std::string> result;
  for (const auto& item : object.items()) {
    result[item.key()] = checksum_member(object, item.key().c_str(), std::string("inputs.parts.") + key + ".");
  }
  return result;
}

}  // namespace

Inputs inputs_from_json(const json& object) {
  if (!object.is_object()) throw InputsFormatError("field inputs must be an object");
  Inputs inputs;
  inputs.fingerprint = checksum_member(object, "fingerprint", "inputs.");
  const json& parts = member(object, "parts", "inputs.");
  if (!parts.is_object()) throw InputsFormatError("field inputs.parts must be an object");
  const json& format = member(parts, "dataFormat", "inputs.parts.");
  if (!format.is_number_integer()) throw InputsFormatError("field inputs.parts.dataFormat must be an integer");
  inputs.parts.data_format = format.get<int>();
  const json& environment = member(parts, "environment", "inputs.parts.");
  if (!environment.is_string()) throw InputsFormatError("field inputs.parts.environment must be a string");
  inputs.parts.environment = environment.get<std::string>();
  inputs.parts.migrations = checksum_map(parts, "migrations");
  inputs.parts.seed_files = checksum_map(parts, "seedFiles");
  const json& profile = member(parts, "seedProfile", "inputs.parts.");
  if (!profile.is_null()) {
    const json& path = member(profile, "path", "inputs.parts.seedProfile.");
    if (!path.is_string() || path.get<std::string>().empty()) {
      throw InputsFormatError("field inputs.parts.seedProfile.path must be a non-empty string");
    }
    inputs.parts.seed_profile = path.get<std::string>();
    inputs.parts.seed_profile_sha256 = checksum_member(profile, "sha256", "inputs.parts.seedProfile.");
  }
  const json& counts = member(parts, "seedSet", "inputs.parts.");
  if (!counts.is_object()) throw InputsFormatError("field inputs.parts.seedSet must be an object");
  for (const auto& item : counts.items()) {
    if (!item.value().is_number_integer() || item.value().get<std::int64_t>() < 0) {
      throw InputsFormatError("field inputs.parts.seedSet." + item.key() + " must be a non-negative integer");
    }
    inputs.parts.seed_set[item.key()] = item.value().get<std::int64_t>();
  }
  return inputs;
}

namespace {

// "not in the dump" / "changed" / "in the dump but not in the project", for each name of either side.
template <typename Value>
void compare_maps(const std::map<std::string, Value>& project, const std::map<std::string, Value>& dump,
                  const std::string& what, std::vector<std::string>& lines) {
  std::set<std::string> names;
  for (const auto& entry : project) names.insert(entry.first);
  for (const auto& entry : dump) names.insert(entry.first);
  for (const auto& name : names) {
    const auto here = project.find(name);
    const auto there = dump.find(name);
    if (there == dump.end()) lines.push_back(what + " " + name + " is not in the dump");
    else if (here == project.end()) lines.push_back(what + " " + name + " is in the dump but not in the project");
    else if (here->second != there->second) lines.push_back(what + " " + name + " changed");
  }
}

std::string count_text(const std::map<std::string, std::int64_t>& counts, const std::string& table) {
  const auto found = counts.find(table);
  return found == counts.end() ? "no " + table : table + "=" + std::to_string(found->second);
}

}  // namespace

std::vector<std::string> input_differences(const InputParts& project, const InputParts& dump) {
  std::vector<std::string> lines;
  if (project.data_format != dump.data_format) {
    lines.push_back("pgseed data format " + std::to_string(project.data_format) + " (dump: " + std::to_string(dump.data_format) + ")");
  }
  if (project.environment != dump.environment) {
    lines.push_back("environment " + project.environment + " (dump: " + dump.environment + ")");
  }
  compare_maps(project.migrations, dump.migrations, "migration", lines);

  if (project.seed_profile == dump.seed_profile) {
    if (!project.seed_profile.empty() && project.seed_profile_sha256 != dump.seed_profile_sha256) {
      lines.push_back(project.seed_profile + " changed");
    }
  } else {
    if (!project.seed_profile.empty()) lines.push_back("seed profile " + project.seed_profile + " is not in the dump");
    if (!dump.seed_profile.empty()) lines.push_back("seed profile " + dump.seed_profile + " is in the dump but not in the project");
  }
  compare_maps(project.seed_files, dump.seed_files, "seed file", lines);

  std::set<std::string> tables;
  for (const auto& entry : project.seed_set) tables.insert(entry.first);
  for (const auto& entry : dump.seed_set) tables.insert(entry.first);
  for (const auto& table : tables) {
    const auto here = project.seed_set.find(table);
    const auto there = dump.seed_set.find(table);
    if (here != project.seed_set.end() && there != dump.seed_set.end() && here->second == there->second) continue;
    lines.push_back("seed set differs: " + count_text(project.seed_set, table) + " (dump: " + count_text(dump.seed_set, table) + ")");
  }
  return lines;
}

DumpCheck check_latest_dump(const ProjectLayout& project, const std::string& environment,
                            const seed::CountOverrides& counts) {
  DumpCheck check;
  // The project first: what is wrong there needs fixing whatever the dump is.
  check.project = compute_inputs(project, environment, counts);
  check.metadata_path = project.dump_directory / (latest_dump_stem(environment) + metadata_extension);
  const std::string regenerate = "run pgseed dump (the generate-dump target) and commit the new dump and its metadata";
  std::error_code error;
  if (!fs::exists(check.metadata_path, error)) {
    if (fs::is_symlink(fs::symlink_status(check.metadata_path, error))) {
      throw Error(ExitCode::dump_refused,
                  "latest link " + check.metadata_path.string() + " points to " +
                      fs::read_symlink(check.metadata_path, error).string() + ", which does not exist",
                  regenerate);
    }
    check.differences.push_back("no " + environment + " dump in " + project.dump_directory.string() + " (" +
                                check.metadata_path.filename().string() + " does not exist)");
    return check;
  }
  DumpMetadata metadata;
  try {
    // Metadata belongs in plain git; a pointer means a broad LFS rule and a clone without content,
    // which a new dump would not fix.
    if (looks_like_lfs_pointer(util::read_file_prefix(check.metadata_path, 64))) {
      throw Error(ExitCode::dump_refused, "metadata " + check.metadata_path.string() + " is a Git LFS pointer",
                  "run git lfs pull; better, keep *.metadata.json out of LFS in .gitattributes (only the dumps go there)");
    }
    metadata = read_metadata(check.metadata_path);
  } catch (const MetadataError& e) {
    throw Error(ExitCode::dump_refused, "metadata " + check.metadata_path.string() + " is invalid: " + e.what(), regenerate);
  } catch (const std::system_error& e) {
    throw Error(ExitCode::dump_refused, "metadata " + check.metadata_path.string() + " cannot be read: " + reason(e),
                regenerate);
  }
  check.found = true;
  check.dump_file = metadata.file;
  check.dump_timestamp = metadata.timestamp;
  check.dump = metadata.inputs;
  if (!check.dump) {
    check.differences.push_back("dump has no inputs fingerprint (written by an older pgseed)");
    return check;
  }
  check.differences = input_differences(check.project.parts, check.dump->parts);
  if (check.differences.empty() && check.project.fingerprint != check.dump->fingerprint) {
    // Equal parts but another fingerprint: the metadata was edited, or hashed by another pgseed.
    check.differences.push_back("inputs fingerprint " + check.project.fingerprint.substr(0, 12) + " (dump: " +
                                check.dump->fingerprint.substr(0, 12) + ") although every part is equal");
  }
  return check;
}

}  // namespace pgseed::core
