// `scalelab console`: where the running lab's live console is. The supervisor serves
// it on its control port (lab/console/), so this only prints the URL; with --open it
// also hands the URL to the desktop's browser when xdg-open exists. It never opens a
// browser by default: labs run on servers and in CI as often as on desktops.
#include <cstdio>

#include "common/process.hpp"
#include "lab/cli/cli.hpp"
#include "lab/supervisor/run_dir.hpp"

namespace scalelab::cli {

void add_console_command(CLI::App& root, Context& ctx) {
  auto open = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand("console", "Print the URL of the lab's live console (served by its supervisor)");
  cmd->add_flag("--open", *open, "Also open it with xdg-open, when there is one");
  cmd->callback([&ctx, open] {
    ctx.run([&] {
      const lab::LabConfig config = lab::read_lab_config(ctx.dir);  // throws when there is no lab here
      const std::string url = "http://127.0.0.1:" + std::to_string(config.ports.supervisor()) + "/console";
      if (!lab::running_supervisor(ctx.dir))
        return fail("no lab is running in " + ctx.dir.string() + " (scalelab up); its console would be at " + url, 1);
      std::printf("%s\n", url.c_str());
      if (!*open) return 0;
      auto opener = process::find_executable("xdg-open");
      if (!opener) return fail("--open needs xdg-open (package xdg-utils); open the URL above yourself", 1);
      process::SpawnOptions o;
      o.argv = {*opener, url};
      o.log_path = "/dev/null";
      o.die_with_parent = false;  // the browser outlives this command
      o.new_session = true;
      process::Process::spawn(o).detach();
      return 0;
    });
  });
}

}  // namespace scalelab::cli
