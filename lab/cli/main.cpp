// scalelab: the lab's command line. Every subcommand has --help; exit codes are 0 (done),
// 1 (failed) and 2 (wrong invocation).
#include <csignal>
#include <cstdlib>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"

int main(int argc, char** argv) {
  using namespace scalelab;
  // The lab's HTTP clients (cpp-httplib 0.11) send without MSG_NOSIGNAL: a server that
  // closes early must cost an EPIPE error, not the command.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App root{"scalelab: a horizontal-scaling lab. Several instances of a service behind a balancer,\n"
                "state in Redis and S3 or in each process, and the chaos to show the difference."};
  root.name("scalelab");
  root.require_subcommand(1);
  root.get_formatter()->column_width(36);
  cli::Context ctx;
  config::option(root, "--dir", "SCALELAB_DIR", ctx.dir_option, "The lab's run folder (state, logs, data)");
  cli::add_lab_commands(root, ctx);
  cli::add_fault_command(root, ctx);
  cli::add_console_command(root, ctx);
  cli::add_load_command(root, ctx);
  cli::add_experiment_commands(root, ctx);
  cli::add_supervise_command(root, ctx);
  config::parse_or_exit(root, argc, argv);
  return ctx.exit_code;
}
