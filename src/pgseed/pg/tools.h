// Finding and running PostgreSQL's own programs (pg_dump, pg_restore, initdb, pg_ctl, postgres).
//
// Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH, and /usr/bin/pg_dump
// is a wrapper that picks a version by cluster. pgseed therefore always runs programs from one
// explicit bin directory.
#pragma once

#include "pgseed/pg/conninfo.h"
#include "pgseed/util/subprocess.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pgseed::pg {

struct ToolVersion {
  std::string text;  // "15.18"
  int major = 0;     // 15
};

// Parses "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
ToolVersion parse_tool_version(const std::string& version_output);

class PgTools {
public:
  // PGSEED_PG_BINDIR, then `pg_config --bindir`, then the newest /usr/lib/postgresql/<major>/bin.
  // Throws Error(failure) with a hint when none holds pg_dump.
  static PgTools locate();
  explicit PgTools(std::filesystem::path bindir) : bindir_(std::move(bindir)) {}

  const std::filesystem::path& bindir() const noexcept { return bindir_; }
  std::filesystem::path program(const std::string& name) const;
  ToolVersion version(const std::string& name) const;

  // Runs a client tool against a database: the connection goes in `-d` (no secrets) and the password
  // in the child's environment. Throws Error(failure) with the tool's last error line on failure.
  // `on_progress`, when set, is called about twice a second while the tool runs.
  util::CommandResult run_client(const std::string& name, const ConnInfo& connection, std::vector<std::string> arguments,
                                 std::function<void()> on_progress = {}) const;

private:
  std::filesystem::path bindir_;
};

}  // namespace pgseed::pg
