// What every `scalelab` subcommand shares: the lab folder (--dir, $SCALELAB_DIR), the
// one-line error convention with exit codes (0 done, 1 failed, 2 wrong invocation),
// and plain-text tables. Each group of subcommands registers itself on the root app.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lab/supervisor/lab_client.hpp"

namespace scalelab::cli {

struct Context {
  std::string dir_option = ".scalelab";  // bound to --dir / $SCALELAB_DIR
  std::filesystem::path dir;             // set from it when a command runs
  int exit_code = 0;
  // Runs a subcommand's work, turning errors into one line on stderr and an exit code.
  void run(const std::function<int()>& work);
};

// Prints "scalelab: <message>" to stderr and returns `code`.
int fail(const std::string& message, int code = 1);

// A table with a header row; columns are padded to their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows);

// "1m 23s", "4.2s", "-".
std::string human_duration(double seconds);

void add_lab_commands(CLI::App& root, Context& ctx);    // up, down, status, scale, kill, pause, resume, restart, toggle, logs
void add_fault_command(CLI::App& root, Context& ctx);   // fault
void add_supervise_command(CLI::App& root, Context& ctx);
void add_console_command(CLI::App& root, Context& ctx);  // console
void add_experiment_commands(CLI::App& root, Context& ctx);  // experiment, demo
void add_load_command(CLI::App& root, Context& ctx);         // load (lab/load), fed to the lab's console

}  // namespace scalelab::cli
