// Twelve-factor configuration shared by every scalelab binary. Each setting is an
// environment variable mirrored by a flag, and both are shown in --help (CLI11 prints
// the variable name next to each flag). A bad value ends start-up with one line on
// stderr and exit code 2; --help exits 0. Exit codes across the project: 0 success,
// 1 the operation failed, 2 the invocation was wrong.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "common/exit_codes.hpp"

namespace scalelab::config {

// Adds `--flag` bound to `target`, also read from the environment variable `env`.
// The current value of `target` is the default and shows in --help.
template <class T>
CLI::Option* option(CLI::App& app, const std::string& flag, const std::string& env, T& target,
                    const std::string& help) {
  return app.add_option(flag, target, help)->envname(env)->capture_default_str();
}

// Parses argv into `app`. On --help prints the help and exits 0; on any error prints
// "<program>: <message>" (one line) plus a hint, and exits 2.
void parse_or_exit(CLI::App& app, int argc, char** argv);

}  // namespace scalelab::config
