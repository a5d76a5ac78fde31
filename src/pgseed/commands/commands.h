// One function per command. Each returns the process exit code and throws pgseed::Error on failure.
#pragma once

#include "pgseed/commands/settings.h"
#include "pgseed/core/reporter.h"

#include <iosfwd>

namespace pgseed::commands {

int run_migrate(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_seed(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_dump(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_restore(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_verify(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_snapshot(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_reset(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_up(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_down(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_status(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_protect(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_list(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_prune(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_clean(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_publish(const Settings& settings, core::Reporter& reporter, std::ostream& out);
int run_check(const Settings& settings, core::Reporter& reporter, std::ostream& out);

}  // namespace pgseed::commands
