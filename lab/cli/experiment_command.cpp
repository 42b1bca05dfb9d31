// `scalelab experiment FILE` and `scalelab demo`: runs as Chaos Toolkit does them, exit
// code 0 when the steady state held after the method and 1 when it deviated.
#include <unistd.h>

#include <cstdio>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"
#include "lab/cli/signal_stop.hpp"
#include "lab/experiment/demo.hpp"
#include "lab/experiment/runner.hpp"
#include "lab/journal/journal_json.hpp"
#include "lab/supervisor/launcher.hpp"
#include "lab/supervisor/run_dir.hpp"

#ifndef SCALELAB_SOURCE_DIR
#define SCALELAB_SOURCE_DIR "."
#endif

namespace scalelab::cli {
namespace {

// Where a lab left running by --keep-lab is, and the command that stops it: it lives in
// its own folder (under --out unless --dir was given), not in the default .scalelab.
void print_kept_lab(const std::filesystem::path& dir) {
  const auto abs = std::filesystem::absolute(dir);
  if (!lab::running_supervisor(abs)) {
    std::printf("lab:     not running any more (its folder: %s)\n", abs.c_str());
    return;
  }
  const lab::LabConfig config = lab::read_lab_config(abs);
  std::printf("lab:     still running in %s (balancer 127.0.0.1:%d); stop it with: scalelab --dir %s down\n", abs.c_str(),
              config.ports.balancer(), abs.c_str());
}

}  // namespace

void add_experiment_commands(CLI::App& root, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>("scalelab-runs");
  auto keep = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand("experiment", "Run a chaos experiment file; exit 0 if the steady state held, 1 if it deviated");
  cmd->add_option("file", *file, "The experiment (YAML), e.g. experiments/kill-one-of-three-shared.yaml")->required();
  config::option(*cmd, "--out", "SCALELAB_OUT", *out, "Where the journal (JSON) and the report (HTML) go");
  cmd->add_flag("--keep-lab", *keep, "Leave the lab running afterwards; it prints the scalelab --dir ... down that stops it");
  cmd->callback([&ctx, file, out, keep] {
    ctx.run([&] {
      experiment::Experiment x;
      try {
        x = experiment::load_experiment(*file);
      } catch (const experiment::ExperimentError& e) {
        return fail(e.what(), 2);
      }
      SignalStop stop("scalelab: stopping early (rollbacks and down still run)");
      const std::string name = experiment::run_name(x.title);
      experiment::RunOptions o;
      o.lab_dir = ctx.dir_given() ? ctx.dir : std::filesystem::path(*out) / (name + "-lab");
      o.scalelab_exe = lab::executable_dir() + "/scalelab";
      o.keep_lab = *keep;
      o.stop = stop.token();
      const bool tty = ::isatty(2);
      std::string last;
      o.progress = [&](const std::string& phase, double done) {
        if (tty) {
          std::fprintf(stderr, "\r%-30s %3.0f%%", phase.c_str(), 100 * std::min(1.0, done));
        } else if (phase != last) {
          std::fprintf(stderr, "experiment: %s\n", phase.c_str());
        }
        last = phase;
      };
      std::printf("experiment: %s (%s)\n", x.title.c_str(), file->c_str());
      const journal::Journal j = experiment::run(x, o);
      if (tty) std::fprintf(stderr, "\r\033[K");
      const auto report = experiment::write_journal(journal::to_json(j), *out, name);
      for (const auto& [phase, check] : {std::pair{"before", &j.hypothesis.before}, {"after", &j.hypothesis.after}}) {
        if (!*check) continue;  // an aborted run never checked
        for (const auto& p : (*check)->probes)
          std::printf("  %-6s %-4s %s: %s\n", phase, !p.met ? "-" : *p.met ? "ok" : "FAIL", p.name.c_str(), p.detail.c_str());
      }
      for (const auto& a : j.actions)
        std::printf("  at %5.1fs %-9s %s: %s\n", a.started_s.value_or(0), a.status.c_str(), a.name.c_str(), a.detail.c_str());
      std::printf("verdict: %s: %s\njournal: %s\nreport:  %s\n", j.verdict.status.c_str(), j.verdict.summary.c_str(),
                  std::filesystem::absolute(report).replace_extension(".json").c_str(),
                  std::filesystem::absolute(report).c_str());
      if (*keep) print_kept_lab(o.lab_dir);
      return j.verdict.deviated ? 1 : 0;
    });
  });

  auto demo_file = std::make_shared<std::string>(std::string(SCALELAB_SOURCE_DIR) + "/experiments/demo.yaml");
  auto demo_out = std::make_shared<std::string>("scalelab-runs");
  auto demo_topic = std::make_shared<std::string>("state");
  auto* demo = root.add_subcommand(
      "demo", "A lesson, runs side by side: state (the main job: the same chaos with shared, local and local+sticky "
              "state), autoscaling (the HPA algorithm, flapping, slow starts, scale to zero), database (the "
              "connection budget: pools of 20, of 10, and pgbouncer, from 1 to 8 instances) or concurrency (five "
              "runtime models of one instance, from 10 to 5000 users, I/O-bound and CPU-bound)");
  demo->add_option("topic", *demo_topic, "state (default), autoscaling, database or concurrency")
      ->check(CLI::IsMember(experiment::demo_topic_names()));
  config::option(*demo, "--file", "SCALELAB_DEMO_FILE", *demo_file, "The state lesson's experiment");
  config::option(*demo, "--out", "SCALELAB_OUT", *demo_out, "Where the journals and the combined report go");
  demo->callback([&ctx, demo_file, demo_out, demo_topic] {
    ctx.run([&] {
      experiment::DemoOptions o;
      o.out_dir = *demo_out;
      o.scalelab_exe = lab::executable_dir() + "/scalelab";
      o.progress_bar = ::isatty(2);
      std::filesystem::path report;
      try {
        const std::filesystem::path experiments = std::filesystem::path(SCALELAB_SOURCE_DIR) / "experiments";
        const experiment::DemoTopic topic = *demo_topic == "autoscaling"   ? experiment::autoscaling_topic(experiments)
                                            : *demo_topic == "database"    ? experiment::database_topic(experiments)
                                            : *demo_topic == "concurrency" ? experiment::concurrency_topic(experiments)
                                                                           : experiment::state_topic(*demo_file);
        std::printf("%s\n", topic.intro.c_str());
        std::fflush(stdout);
        experiment::run_demo(topic, o, &report);
      } catch (const experiment::ExperimentError& e) {
        return fail(e.what(), 2);
      }
      std::printf("\nreport: %s\n", report.c_str());
      return 0;
    });
  });
}

}  // namespace scalelab::cli
