// Why this exists: a temporary `scalelab-load` binary, so the load generator can run
// before the `scalelab` CLI exists. The CLI wires add_load_command() itself; this main
// can then go.
#include <CLI/CLI.hpp>

#include "common/config.hpp"
#include "common/log.hpp"
#include "lab/load/command.hpp"

int main(int argc, char** argv) {
  scalelab::log::init("load");
  CLI::App app{"scalelab-load: the scalelab load generator (the `scalelab load` command)"};
  app.require_subcommand(0, 1);
  scalelab::load::add_load_command(app);
  // `scalelab-load --users 8 ...` works like `scalelab-load load --users 8 ...`.
  if (argc < 2 || std::string_view(argv[1]) != "load") {
    std::vector<char*> args(argv, argv + argc);
    static char load[] = "load";
    args.insert(args.begin() + 1, load);
    scalelab::config::parse_or_exit(app, static_cast<int>(args.size()), args.data());
  } else {
    scalelab::config::parse_or_exit(app, argc, argv);
  }
  return scalelab::config::kExitOk;
}
