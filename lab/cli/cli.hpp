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

inline constexpr const char* kDefaultDir = ".scalelab";

struct Context {
  std::string dir_option = kDefaultDir;  // bound to --dir / $SCALELAB_DIR
  CLI::Option* dir_flag = nullptr;       // that option, to tell whether it was given
  std::filesystem::path dir;             // set from it when a command runs
  int exit_code = 0;
  // True when --dir or $SCALELAB_DIR chose the folder (not the default).
  bool dir_given() const { return dir_flag != nullptr && dir_flag->count() > 0; }
  // Runs a subcommand's work, turning errors into one line on stderr and an exit code.
  void run(const std::function<int()>& work);
};

// Prints "scalelab: <message>" to stderr and returns `code`.
int fail(const std::string& message, int code = 1);

// A table with a header row; columns are padded to their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows);

// "1m 23s", "4.2s", "-".
std::string human_duration(double seconds);

// Names `root` and puts every global option and subcommand on it. Global options are
// accepted before or after the subcommand (`scalelab up --dir X`); --version prints the
// version.
void add_commands(CLI::App& root, Context& ctx);

void add_lab_commands(CLI::App& root, Context& ctx);    // up, down, status, scale, kill, pause, resume, restart, toggle, logs
void add_logs_command(CLI::App& root, Context& ctx);    // logs
void add_fault_command(CLI::App& root, Context& ctx);   // fault
void add_supervise_command(CLI::App& root, Context& ctx);
void add_console_command(CLI::App& root, Context& ctx);  // console
void add_autoscale_command(CLI::App& root, Context& ctx);  // autoscale show|set|off
void add_experiment_commands(CLI::App& root, Context& ctx);  // experiment, demo
void add_load_command(CLI::App& root, Context& ctx);         // load (lab/load), fed to the lab's console
void add_help_command(CLI::App& root, Context& ctx);         // help [COMMAND]

// When the first word of argv that is not a global option is no subcommand of `root`,
// the one line to print ("unknown command 'stauts'; did you mean 'status'? ..."), else
// empty. `help`, --help and --version pass.
std::string unknown_command(const CLI::App& root, int argc, const char* const* argv);

// The name in `names` closest to `word` by edit distance, if close enough to be a
// likely typo (at most 2 edits, and fewer edits than `word` has letters); else empty.
std::string closest_name(const std::string& word, const std::vector<std::string>& names);

}  // namespace scalelab::cli
