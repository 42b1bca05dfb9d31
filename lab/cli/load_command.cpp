// `scalelab load` inside the CLI: the load library's command, plus what the CLI knows
// about labs. When --dir holds a running lab, the load drives its balancer unless told
// otherwise, and every one-second sample goes to that lab's live console, so the
// console's violation counters show the run while it happens.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "lab/cli/cli.hpp"
#include "lab/load/command.hpp"
#include "lab/supervisor/sample_publisher.hpp"

namespace scalelab::cli {

void add_load_command(CLI::App& root, Context& ctx) {
  load::add_load_command(root, [&ctx](load::LoadConfig& config, bool target_given) {
    std::function<void(const load::Sample&)> to_console;
    const std::filesystem::path dir = ctx.dir_option;
    if (!std::filesystem::exists(lab::lab_file(dir))) return to_console;
    try {
      const lab::LabConfig lab = lab::read_lab_config(dir);
      if (!target_given) config.target = "127.0.0.1:" + std::to_string(lab.ports.balancer());
      if (!lab::LabClient(lab, std::chrono::seconds(1)).reachable()) {
        std::fprintf(stderr, "scalelab load: the lab in %s is not running; its console will not show this run\n",
                     dir.c_str());
        return to_console;
      }
      auto publisher = std::make_shared<lab::SamplePublisher>(lab, "scalelab load");
      std::fprintf(stderr, "scalelab load: driving %s; the console of the lab in %s shows this run (scalelab console)\n",
                   config.target.c_str(), dir.c_str());
      to_console = [publisher](const load::Sample& s) { publisher->publish(s); };
    } catch (const std::exception& e) {
      std::fprintf(stderr, "scalelab load: %s; the lab's console will not show this run\n", e.what());
    }
    return to_console;
  });
}

}  // namespace scalelab::cli
