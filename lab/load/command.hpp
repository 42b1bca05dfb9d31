// The `load` subcommand: its flags and its run. It lives in the load library, and the
// `scalelab` CLI only adds what it knows about labs (through a RunHook). Every flag
// mirrors an environment variable (SCALELAB_LOAD_*), shown in --help.
//
// Exit codes: 0 the run completed (violations are findings, reported, not failures);
// 1 the target never answered a single request; 2 usage errors (one line on stderr,
// raised as CLI11 parse errors so config::parse_or_exit prints them). The callback ends
// the process with std::exit(1) for the second case; otherwise it returns normally.
// SIGINT and SIGTERM stop the run early; the summary is still printed.
#pragma once

#include <functional>

#include "lab/load/load_config.hpp"
#include "lab/load/results.hpp"

namespace CLI {
class App;
}

namespace scalelab::load {

// What a front end adds around a run. Called once the flags are parsed, before the
// run: it may change the configuration (`target_given` is false when neither --target
// nor its variable was set), and it may return a function that receives every
// one-second Sample too (an empty function otherwise). It reports its own problems and
// does not throw: a load run does not depend on what the hook adds. It runs with SIGINT
// and SIGTERM blocked, so threads it starts inherit the mask and never take the signal
// that must stop the run and print its summary.
using RunHook = std::function<std::function<void(const Sample&)>(LoadConfig& config, bool target_given)>;

CLI::App* add_load_command(CLI::App& parent, RunHook hook = {});

}  // namespace scalelab::load
