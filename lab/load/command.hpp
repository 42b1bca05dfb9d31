// Why this exists: the `load` subcommand, registered on any CLI11 app so the `scalelab`
// CLI and the temporary `scalelab-load` binary share one definition of the flags.
// Every flag mirrors an environment variable (SCALELAB_LOAD_*), shown in --help.
//
// Exit codes: 0 the run completed (violations are findings, reported, not failures);
// 1 the target never answered a single request; 2 usage errors (one line on stderr,
// raised as CLI11 parse errors so config::parse_or_exit prints them). The callback ends
// the process with std::exit(1) for the second case; otherwise it returns normally.
// SIGINT and SIGTERM stop the run early; the summary is still printed.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::load {

void add_load_command(CLI::App& parent);

}  // namespace scalelab::load
