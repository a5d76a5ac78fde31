// The names of dump files and the files that go with them.
//
//   <env>-seeded-v<shortsha>-<yyyymmddThhmmssZ>-<run>.dump  the dump (pg_dump custom format)
//   <same stem>.metadata.json                               its metadata
//
// <run> is a random token of the run that wrote the pair: the same commit dumped in the same second,
// on one host or on two hosts sharing the directory, still gives distinct names.
//   <same stem>.pgdata.tar.zst                              its physical snapshot (dump --physical)
//   <env>-seeded-latest.dump / .metadata.json             relative links to the newest pair
//   <env>-seeded-latest.pgdata.tar.zst                    and to its physical snapshot, when it has one
#pragma once

#include "pgseed/util/time.h"

#include <filesystem>
#include <string>

namespace pgseed::core {

inline constexpr const char* dump_extension = ".dump";
inline constexpr const char* metadata_extension = ".metadata.json";
inline constexpr const char* physical_extension = ".pgdata.tar.zst";

std::string versioned_dump_stem(const std::string& environment, const std::string& short_commit, util::SystemTime time,
                                const std::string& run_token);
std::string latest_dump_stem(const std::string& environment);

// dumps/dev-seeded-latest.dump
std::filesystem::path latest_dump_path(const std::filesystem::path& dump_directory, const std::string& environment);

// The metadata that belongs to a dump: same directory, same stem. Works for the latest link too,
// whose metadata link has the latest stem.
std::filesystem::path metadata_path_for(const std::filesystem::path& dump_path);
// The physical snapshot that belongs to a dump, by the same rule.
std::filesystem::path physical_path_for(const std::filesystem::path& dump_path);

}  // namespace pgseed::core
