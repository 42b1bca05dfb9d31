// scalelab: the lab's command line. Every subcommand has --help; exit codes are 0 (done),
// 1 (failed) and 2 (wrong invocation); `load` adds 3 and 4 for crossed thresholds
// (lab/load/thresholds.hpp).
#include <csignal>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"

int main(int argc, char** argv) {
  using namespace scalelab;
  // The lab's HTTP clients (cpp-httplib 0.11) send without MSG_NOSIGNAL: a server that
  // closes early must cost an EPIPE error, not the command.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App root;
  cli::Context ctx;
  cli::add_commands(root, ctx);
  if (const std::string unknown = cli::unknown_command(root, argc, argv); !unknown.empty())
    return cli::fail(unknown, config::kExitUsage);
  config::parse_or_exit(root, argc, argv);
  return ctx.exit_code;
}
