// `scalelab autoscale show|set SPEC|off`: the running lab's autoscaler. It follows the
// Kubernetes HPA algorithm (lab/supervisor/autoscaler.hpp); SPEC is the spelling of
// `scalelab up --autoscale`, e.g. min=1,max=8,metric=rps,target=200.
#include <cstdio>

#include "lab/cli/cli.hpp"
#include "lab/supervisor/lab_client.hpp"

namespace scalelab::cli {
namespace {

using nlohmann::json;

void print_autoscale(const json& a) {
  if (!a["enabled"].get<bool>()) {
    std::printf("autoscaling is off (scalelab autoscale set min=1,max=8,metric=rps,target=200 turns it on)\n");
    return;
  }
  std::printf("autoscaling on: %s\n", a["policy"]["spelling"].get<std::string>().c_str());
  const json& d = a["last_decision"];
  if (d.is_null()) {
    std::printf("no decision yet (the first comes one sync period after it was turned on)\n");
    return;
  }
  std::printf("last decision: %d -> %d instances (%d ready, %s %s per ready instance, target %s), limited by %s%s%s\n",
              d["current"].get<int>(), d["desired"].get<int>(), d["ready"].get<int>(), d["metric"].get<std::string>().c_str(),
              d["metric_mean"].is_null() ? "not measured" : d["metric_mean"].dump().c_str(), d["target"].dump().c_str(),
              d["limited_by"].get<std::string>().c_str(), d["limit_detail"].get<std::string>().empty() ? "" : ": ",
              d["limit_detail"].get<std::string>().c_str());
}

}  // namespace

void add_autoscale_command(CLI::App& root, Context& ctx) {
  auto* cmd = root.add_subcommand("autoscale", "Show, set or turn off the lab's autoscaler (the Kubernetes HPA algorithm)");
  cmd->require_subcommand(1);
  auto as_json = std::make_shared<bool>(false);
  auto* show = cmd->add_subcommand("show", "The policy and the last decision with its inputs");
  show->add_flag("--json", *as_json, "Print the supervisor's JSON");
  show->callback([&ctx, as_json] {
    ctx.run([&] {
      const json a = lab::LabClient(ctx.dir).autoscale();
      if (*as_json)
        std::printf("%s\n", a.dump(2).c_str());
      else
        print_autoscale(a);
      return 0;
    });
  });
  auto spec = std::make_shared<std::string>();
  auto* set = cmd->add_subcommand("set", "Turn it on, or replace its policy");
  set->add_option("spec", *spec,
                  "min=N,max=N,metric=in_flight|rps|cpu|custom:NAME,target=X[,tolerance=0.1,window=30s,up-window=0s,sync=5s,"
                  "idle=30s,starts=0]")
      ->required();
  set->callback([&ctx, spec] {
    ctx.run([&] {
      print_autoscale(lab::LabClient(ctx.dir).autoscale_set(*spec));
      return 0;
    });
  });
  auto* off = cmd->add_subcommand("off", "Turn it off; the instance count stays where it is");
  off->callback([&ctx] {
    ctx.run([&] {
      print_autoscale(lab::LabClient(ctx.dir).autoscale_off());
      return 0;
    });
  });
}

}  // namespace scalelab::cli
