#include "pgseed/core/metadata.h"

#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace pgseed::core {
using nlohmann::json;

namespace {

json physical_to_json(const PhysicalSnapshot& physical) {
  // "collationVersions" (name -> version) is what a reader wants to see; "collations" is what the
  // init script needs to make each collation again on the image's server.
  json collation_versions = json::object();
  json collations = json::object();
  for (const auto& [name, collation] : physical.collations) {
    collation_versions[name] = collation.version;
    collations[name] = {{"provider", collation.provider},
                        {"locale", collation.locale},
                        {"ctype", collation.ctype},
                        {"version", collation.version}};
  }
  return {
      {"file", physical.file},
      {"sizeBytes", physical.size_bytes},
      {"checksum", physical.checksum},
      {"checksumAlgorithm", "sha256"},
      {"format", "tar.zst"},
      {"compressionLevel", physical.compression_level},
      {"database", physical.database},
      {"bootstrapUser", physical.bootstrap_user},
      {"majorVersion", physical.major_version},
      {"serverVersionNum", physical.server_version_num},
      {"catalogVersion", physical.catalog_version},
      {"controlVersion", physical.control_version},
      {"maxAlign", physical.max_align},
      {"blockSize", physical.block_size},
      {"relsegSize", physical.relseg_size},
      {"walBlockSize", physical.wal_block_size},
      {"walSegmentSize", physical.wal_segment_size},
      {"nameDataLen", physical.name_data_len},
      {"float8PassByValue", physical.float8_pass_by_value},
      {"dataChecksums", physical.data_checksums},
      {"architecture", physical.architecture},
      {"glibc", physical.glibc},
      {"encoding", physical.encoding},
      {"localeProvider", physical.locale_provider},
      {"collate", physical.collate},
      {"ctype", physical.ctype},
      {"localeNote", physical.locale_note},
      {"databaseCollationVersion", physical.database_collation_version},
      {"collationVersions", collation_versions},
      {"collations", collations},
  };
}

}  // namespace

std::string PhysicalSnapshot::json_text() const { return physical_to_json(*this).dump(2); }

std::string DumpMetadata::to_json() const {
  json document = {
      {"formatVersion", format_version},
      {"environment", environment},
      {"version", version},
      {"dirty", dirty},
      {"timestamp", timestamp},
      {"file", file},
      {"sizeBytes", size_bytes},
      {"format", format},
      {"compression", compression},
      {"compressor", compressor},
      {"checksum", checksum},
      {"checksumAlgorithm", checksum_algorithm},
      {"recordCounts", record_counts},
      {"migrations", {{"applied", migrations}, {"fingerprint", migrations_fingerprint}}},
      {"postgres",
       {{"server", server_version},
        {"serverVersionNum", server_version_num},
        {"pgDump", pg_dump_version},
        {"pgDumpMajor", pg_dump_major}}},
      {"tool", {{"name", tool_name}, {"version", tool_version}}},
  };
  document["kind"] = core::to_string(kind);
  if (inputs) document["inputs"] = inputs_to_json(*inputs);
  if (kind == ArchiveKind::snapshot) {
    document["database"] = database;
    document["note"] = note;
    document["tables"] = {{"include", table_patterns}, {"exclude", excluded_table_patterns}};
  }
  if (physical) document["physical"] = physical_to_json(*physical);
  // One key per line: the init script reads this with grep and sed, as the image has no jq.
  return document.dump(2) + "\n";
}

namespace {

const json& field(const json& object, const char* name, const std::string& where) {
  if (!object.is_object() || !object.contains(name)) {
    throw MetadataError("missing field " + where + name);
  }
  return object.at(name);
}

std::string string_field(const json& object, const char* name, const std::string& where = "") {
  const json& value = field(object, name, where);
  if (!value.is_string()) throw MetadataError("field " + where + name + " must be a string");
  return value.get<std::string>();
}

std::int64_t integer_field(const json& object, const char* name, const std::string& where = "") {
  const json& value = field(object, name, where);
  if (!value.is_number_integer()) throw MetadataError("field " + where + name + " must be an integer");
  return value.get<std::int64_t>();
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

}  // namespace

DumpMetadata DumpMetadata::from_json(const std::string& text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    throw MetadataError(std::string("not valid JSON: ") + e.what());
  }
  if (!document.is_object()) throw MetadataError("not a JSON object");

  DumpMetadata metadata;
  metadata.format_version = static_cast<int>(integer_field(document, "formatVersion"));
  if (metadata.format_version < 1 || metadata.format_version > current_format_version) {
    throw MetadataError("formatVersion " + std::to_string(metadata.format_version) +
                        " is not supported by this pgseed (it reads 1 to " + std::to_string(current_format_version) + ")");
  }
  if (document.contains("kind")) {
    const std::string kind = string_field(document, "kind");
    if (kind == "dump") metadata.kind = ArchiveKind::dump;
    else if (kind == "snapshot") metadata.kind = ArchiveKind::snapshot;
    else throw MetadataError("field kind must be \"dump\" or \"snapshot\", not \"" + kind + "\"");
  }
  metadata.environment = string_field(document, "environment");
  if (metadata.kind == ArchiveKind::snapshot) {
    metadata.database = string_field(document, "database");
    if (document.contains("note") && document["note"].is_string()) metadata.note = document["note"].get<std::string>();
    if (document.contains("tables") && document["tables"].is_object()) {
      for (const auto& [key, target] : {std::pair<const char*, std::vector<std::string>*>{"include", &metadata.table_patterns},
                                        {"exclude", &metadata.excluded_table_patterns}}) {
        if (!document["tables"].contains(key)) continue;
        const json& list = document["tables"][key];
        if (!list.is_array()) throw MetadataError(std::string("field tables.") + key + " must be an array");
        for (const auto& pattern : list) {
          if (!pattern.is_string()) throw MetadataError(std::string("field tables.") + key + " must hold strings");
          target->push_back(pattern.get<std::string>());
        }
      }
    }
  }
  metadata.version = string_field(document, "version");
  if (document.contains("dirty") && document["dirty"].is_boolean()) metadata.dirty = document["dirty"].get<bool>();
  metadata.timestamp = string_field(document, "timestamp");
  metadata.file = string_field(document, "file");
  const std::int64_t size = integer_field(document, "sizeBytes");
  if (size < 0) throw MetadataError("field sizeBytes must not be negative");
  metadata.size_bytes = static_cast<std::uint64_t>(size);
  metadata.format = string_field(document, "format");
  if (document.contains("compression") && !document["compression"].is_number_integer()) {
    throw MetadataError("field compression must be an integer");
  }
  if (document.contains("compression") && document["compression"].is_number_integer()) {
    metadata.compression = document["compression"].get<int>();
  }
  metadata.compressor = "pg_dump";
  if (document.contains("compressor")) {
    if (!document["compressor"].is_string()) throw MetadataError("field compressor must be a string");
    metadata.compressor = document["compressor"].get<std::string>();
  }
  metadata.checksum_algorithm = string_field(document, "checksumAlgorithm");
  if (metadata.checksum_algorithm != "sha256") {
    throw MetadataError("checksumAlgorithm '" + metadata.checksum_algorithm + "' is not supported (only sha256)");
  }
  metadata.checksum = string_field(document, "checksum");
  if (!is_sha256_hex(metadata.checksum)) throw MetadataError("field checksum is not 64 lowercase hex digits");

  const json& counts = field(document, "recordCounts", "");
  if (!counts.is_object()) throw MetadataError("field recordCounts must be an object");
  for (const auto& [table, count] : counts.items()) {
    if (!count.is_number_integer() || count.get<std::int64_t>() < 0) {
      throw MetadataError("recordCounts." + table + " must be a non-negative integer");
    }
    metadata.record_counts[table] = count.get<std::int64_t>();
  }

  if (document.contains("migrations")) {
    const json& migrations = document["migrations"];
    if (migrations.contains("applied") && migrations["applied"].is_array()) {
      for (const auto& version : migrations["applied"]) {
        if (!version.is_string()) throw MetadataError("migrations.applied must hold strings");
        metadata.migrations.push_back(version.get<std::string>());
      }
    }
    if (migrations.contains("fingerprint") && migrations["fingerprint"].is_string()) {
      metadata.migrations_fingerprint = migrations["fingerprint"].get<std::string>();
    }
  }
  if (document.contains("inputs")) {
    try {
      metadata.inputs = inputs_from_json(document["inputs"]);
    } catch (const InputsFormatError& e) {
      throw MetadataError(e.what());
    }
  }
  // The versions decide whether a server and pg_restore can read the dump: required, and checked.
  const json& postgres = field(document, "postgres", "");
  if (!postgres.is_object()) throw MetadataError("field postgres must be an object");
  const std::int64_t dump_major = integer_field(postgres, "pgDumpMajor", "postgres.");
  if (dump_major < 7 || dump_major > 1000) {
    throw MetadataError("field postgres.pgDumpMajor is " + std::to_string(dump_major) + ", not a PostgreSQL major version");
  }
  metadata.pg_dump_major = static_cast<int>(dump_major);
  if (postgres.contains("pgDump")) metadata.pg_dump_version = string_field(postgres, "pgDump", "postgres.");
  if (postgres.contains("server")) metadata.server_version = string_field(postgres, "server", "postgres.");
  if (postgres.contains("serverVersionNum")) {
    const std::int64_t number = integer_field(postgres, "serverVersionNum", "postgres.");
    if (number < 0 || number > 100000000) throw MetadataError("field postgres.serverVersionNum is out of range");
    metadata.server_version_num = static_cast<int>(number);
  }
  if (document.contains("physical")) {
    // Only what verify needs is required here; the init script checks the compatibility fields itself.
    const json& section = document["physical"];
    if (!section.is_object()) throw MetadataError("field physical must be an object");
    PhysicalSnapshot physical;
    physical.file = string_field(section, "file", "physical.");
    const std::int64_t physical_size = integer_field(section, "sizeBytes", "physical.");
    if (physical_size < 0) throw MetadataError("field physical.sizeBytes must not be negative");
    physical.size_bytes = static_cast<std::uint64_t>(physical_size);
    physical.checksum = string_field(section, "checksum", "physical.");
    if (!is_sha256_hex(physical.checksum)) throw MetadataError("field physical.checksum is not 64 lowercase hex digits");
    auto optional_string = [&](const char* name, std::string& target) {
      if (section.contains(name) && section[name].is_string()) target = section[name].get<std::string>();
    };
    auto optional_integer = [&](const char* name, auto& target) {
      if (section.contains(name) && section[name].is_number_integer()) {
        target = section[name].get<std::remove_reference_t<decltype(target)>>();
      }
    };
    optional_integer("compressionLevel", physical.compression_level);
    optional_string("database", physical.database);
    optional_string("bootstrapUser", physical.bootstrap_user);
    optional_integer("majorVersion", physical.major_version);
    optional_integer("serverVersionNum", physical.server_version_num);
    optional_integer("catalogVersion", physical.catalog_version);
    optional_integer("controlVersion", physical.control_version);
    optional_integer("maxAlign", physical.max_align);
    optional_integer("blockSize", physical.block_size);
    optional_integer("relsegSize", physical.relseg_size);
    optional_integer("walBlockSize", physical.wal_block_size);
    optional_integer("walSegmentSize", physical.wal_segment_size);
    optional_integer("nameDataLen", physical.name_data_len);
    if (section.contains("float8PassByValue") && section["float8PassByValue"].is_boolean()) {
      physical.float8_pass_by_value = section["float8PassByValue"].get<bool>();
    }
    optional_integer("dataChecksums", physical.data_checksums);
    optional_string("architecture", physical.architecture);
    optional_string("glibc", physical.glibc);
    optional_string("encoding", physical.encoding);
    optional_string("localeProvider", physical.locale_provider);
    optional_string("collate", physical.collate);
    optional_string("ctype", physical.ctype);
    optional_string("localeNote", physical.locale_note);
    optional_string("databaseCollationVersion", physical.database_collation_version);
    if (section.contains("collationVersions") && section["collationVersions"].is_object()) {
      for (const auto& [name, version] : section["collationVersions"].items()) {
        if (version.is_string()) physical.collations[name].version = version.get<std::string>();
      }
    }
    if (section.contains("collations") && section["collations"].is_object()) {
      for (const auto& [name, definition] : section["collations"].items()) {
        if (!definition.is_object()) continue;
        auto& collation = physical.collations[name];
        for (const auto& [key, target] : {std::pair<const char*, std::string*>{"provider", &collation.provider},
                                          {"locale", &collation.locale},
                                          {"ctype", &collation.ctype},
                                          {"version", &collation.version}}) {
          if (definition.contains(key) && definition[key].is_string()) *target = definition[key].get<std::string>();
        }
      }
    }
    metadata.physical = std::move(physical);
  }
  if (document.contains("tool")) {
    const json& tool = document["tool"];
    if (!tool.is_object()) throw MetadataError("field tool must be an object");
    if (tool.contains("name")) metadata.tool_name = string_field(tool, "name", "tool.");
    if (tool.contains("version")) metadata.tool_version = string_field(tool, "version", "tool.");
  }
  return metadata;
}

const char* to_string(ArchiveKind kind) { return kind == ArchiveKind::snapshot ? "snapshot" : "dump"; }

DumpMetadata read_metadata(const std::filesystem::path& path) { return DumpMetadata::from_json(util::read_file(path)); }

void write_metadata(const std::filesystem::path& path, const DumpMetadata& metadata) {
  util::write_file_atomically(path, metadata.to_json());
}

}  // namespace pgseed::core
