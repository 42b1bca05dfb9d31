// Experiment files: every shipped one validates, and a bad one is refused with one line
// naming the file, the line and the field.
#include <filesystem>

#include <gtest/gtest.h>

#include "lab/experiment/experiment.hpp"

using namespace scalelab::experiment;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_experiment(yaml, "x.yaml");
  } catch (const ExperimentError& e) {
    return e.what();
  }
  return "";
}

const char* kMinimal = R"(title: t
load:
  duration: 5s
)";

}  // namespace

TEST(ExperimentFile, EveryShippedExperimentValidates) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SCALELAB_EXPERIMENTS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(load_experiment(entry.path().string())) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 12);
}

TEST(ExperimentFile, ParsesEverySection) {
  auto x = parse_experiment(R"(title: Kill one
description: d
tags: [a, b]
cluster:
  instances: 4
  state: {all: shared, sessions: local}
  balancer: sticky
  restart: always
  restart_delay: 500ms
  app_env: {SCALELAB_RATE_LIMIT: "20"}
  balancer_env: {SCALELAB_BALANCER_TRY_TIMEOUT_MS: "1000"}
load:
  users: 7
  duration: 12s
  mix: session=2,cart=1
  think_time: 40ms
steady-state-hypothesis:
  title: h
  probes:
    - {name: p1, type: violations, kind: session_lost, rate: true, tolerance: 0.5}
    - {type: latency, percentile: 90, tolerance: [0, 250]}
    - {type: ready, tolerance: true}
method:
  - {action: kill, at: 2s, args: {id: app-2}}
  - {action: fault, at: 3s, args: {link: redis, toxic: latency, latency: 200, jitter: 10}}
  - {action: toggle, at: 4s, args: {mode: local, concern: cache}}
rollbacks:
  - {action: clear, args: {link: redis}}
)",
                            "x.yaml");
  EXPECT_EQ(x.title, "Kill one");
  EXPECT_EQ(x.cluster.instances, 4);
  EXPECT_EQ(x.cluster.state_overrides.at("sessions"), "local");
  EXPECT_EQ(x.cluster.balancer, "sticky");
  EXPECT_EQ(x.cluster.restart_delay_ms, 500);
  EXPECT_EQ(x.cluster.app_env.at("SCALELAB_RATE_LIMIT"), "20");
  EXPECT_EQ(x.cluster.balancer_env.at("SCALELAB_BALANCER_TRY_TIMEOUT_MS"), "1000");
  EXPECT_EQ(x.journal_info().cluster["balancer_env"]["SCALELAB_BALANCER_TRY_TIMEOUT_MS"], "1000");
  EXPECT_EQ(x.load.users, 7u);
  EXPECT_EQ(x.load.duration, std::chrono::seconds(12));
  ASSERT_EQ(x.probes.size(), 3u);
  EXPECT_TRUE(x.probes[0].rate);
  EXPECT_EQ(*x.probes[1].tolerance.max, 250);
  EXPECT_EQ(x.probes[1].percentile, 90);
  EXPECT_TRUE(*x.probes[2].tolerance.equals);
  ASSERT_EQ(x.method.size(), 3u);
  EXPECT_EQ(x.method[0].args["signal"], "KILL") << "kill defaults to SIGKILL";
  EXPECT_EQ(x.method[1].args["body"]["attributes"]["latency"], 200.0);
  EXPECT_EQ(x.method[0].name, "kill app-2");
  EXPECT_EQ(x.rollbacks.size(), 1u);
  EXPECT_EQ(x.journal_info().cluster["state"]["cache"], "shared");
}

TEST(ExperimentFile, ErrorsNameFileLineAndField) {
  EXPECT_EQ(error_of("title: t\n"), "x.yaml:1: load: is required");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  instances: 51\n"), "x.yaml:5: cluster.instances: must be from 0 to 50");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  instances: 0\n"),
            "x.yaml:5: cluster.instances: 0 starts the lab at zero, which needs an autoscale policy with min=0");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  instances: 0\n  autoscale: min=1,max=4,target=10\n"),
            "x.yaml:6: cluster.autoscale: instances (0) must be within min..max");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  balancer: random\n"),
            "x.yaml:5: cluster.balancer: must be one of round_robin, least_conn, sticky (got 'random')");
  EXPECT_EQ(error_of(std::string(kMinimal) + "clutser:\n  instances: 2\n"), "x.yaml:4: unknown field 'clutser'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  balancer_env: [a]\n"),
            "x.yaml:5: cluster.balancer_env: expected a mapping of SCALELAB_* variables");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  autoscale: max=4\n"),
            "x.yaml:5: cluster.autoscale: target= is missing (the metric's wanted value per instance, e.g. target=200)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  instances: 6\n  autoscale: max=4,target=10\n"),
            "x.yaml:6: cluster.autoscale: instances (6) must be within min..max");
  EXPECT_EQ(error_of("title: t\nload:\n  duration: soon\n"), "x.yaml:3: load.duration: expected a duration such as 5s, 500ms or 1.5s");
  EXPECT_EQ(error_of(std::string(kMinimal) + "method:\n  - {action: kill, at: 1s}\n"), "x.yaml:5: method[0].args: needs args.id");
  EXPECT_EQ(error_of(std::string(kMinimal) + "method:\n  - {action: explode, at: 1s}\n"),
            "x.yaml:5: method[0].action: must be one of kill, pause, resume, restart, scale, toggle, fault, clear (got 'explode')");
  EXPECT_EQ(error_of(std::string(kMinimal) + "method:\n  - {action: kill, args: {id: app-1}}\n"),
            "x.yaml:5: method[0].at: is required");
  EXPECT_EQ(error_of(std::string(kMinimal) + "method:\n  - {action: kill, at: 9s, args: {id: app-1}}\n"),
            "x.yaml:5: method: 'kill app-1' is due after the load has ended (load.duration)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "method:\n  - {action: fault, at: 1s, args: {link: redis, toxic: latency, latncy: 5}}\n"),
            "x.yaml:5: method[0].args: unknown key 'latncy' for latency (name, direction, toxicity, latency, jitter)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "steady-state-hypothesis:\n  probes:\n    - {type: violations, kind: sessoin_lost, tolerance: 0}\n"),
            "x.yaml:6: steady-state-hypothesis.probes[0].kind: must be one of any, session_lost, cart_lost_write, "
            "upload_missing, upload_corrupt, stale_read, rate_limit_exceeded, order_lost, double_order, oversold "
            "(got 'sessoin_lost')");
  EXPECT_EQ(error_of(std::string(kMinimal) + "steady-state-hypothesis:\n  probes:\n    - {type: error_rate}\n"),
            "x.yaml:6: steady-state-hypothesis.probes[0].tolerance: is required");
  EXPECT_EQ(error_of("title: [unclosed\n"), "x.yaml:2: not valid YAML: end of sequence flow not found");
  EXPECT_EQ(error_of("- a list\n"), "x.yaml:1: expected a mapping with title, cluster, load, method...");
}

TEST(ExperimentFile, AnAutoscalePolicyReachesTheLabAndTheJournal) {
  const auto x = parse_experiment(std::string(kMinimal) + "cluster:\n  instances: 1\n  autoscale: min=1,max=4,metric=in_flight,target=8\n", "x.yaml");
  EXPECT_EQ(x.cluster.autoscale, "min=1,max=4,metric=in_flight,target=8");
  EXPECT_EQ(x.journal_info().cluster["autoscale"], "min=1,max=4,metric=in_flight,target=8");
}

TEST(ExperimentFile, AConcurrencyModelReachesTheInstances) {
  const auto x = parse_experiment(std::string(kMinimal) + "cluster:\n  app_model: thread-per-connection\n", "x.yaml");
  EXPECT_EQ(x.cluster.app_env.at("SCALELAB_APP_MODEL"), "thread-per-connection");
  const auto loop = parse_experiment(std::string(kMinimal) + "cluster:\n  app_model: event-loop\n", "x.yaml");
  EXPECT_EQ(loop.cluster.app_env.at("SCALELAB_APP_MODEL"), "event-loop");
  const auto fibers = parse_experiment(std::string(kMinimal) + "cluster:\n  app_model: fibers\n", "x.yaml");
  EXPECT_EQ(fibers.cluster.app_env.at("SCALELAB_APP_MODEL"), "fibers");
  EXPECT_EQ(error_of(std::string(kMinimal) + "cluster:\n  app_model: goroutines\n"),
            "x.yaml:5: cluster.app_model: must be one of pool, thread-per-connection, event-loop, event-loops, fibers "
            "(got 'goroutines')");
}

TEST(ExperimentFile, UnreadableFile) {
  EXPECT_THROW(load_experiment("/nonexistent/x.yaml"), ExperimentError);
}
