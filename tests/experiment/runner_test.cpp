// Short experiments against a real lab: the shared run holds with zero violations, the
// local run loses more than half of its session reads, and the journal has the shape
// JOURNAL.md documents, with a report beside it.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "lab/experiment/runner.hpp"
#include "lab/journal/journal_json.hpp"
#include "tests/support/app_cluster.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace scalelab::experiment;
using nlohmann::json;

namespace {

Experiment short_experiment(const std::string& state) {
  return parse_experiment(R"(title: Short kill, state )" + state + R"(
cluster:
  instances: 3
  state: )" + state + R"(
  app_env: {SCALELAB_RATE_LIMIT: "500"}
load:
  users: 12
  duration: 7s
  think_time: 20ms
  mix: session=3,cart=1,upload=1
steady-state-hypothesis:
  title: nothing is lost
  probes:
    - {name: no violations, type: violations, kind: any, tolerance: 0}
    - {name: every instance ready, type: ready, tolerance: true}
method:
  - {action: kill, at: 3s, args: {id: app-3, signal: KILL}}
  - {action: restart, at: 4s, args: {id: app-3}}
rollbacks:
  - {action: clear, args: {link: redis}}
)",
                          "short.yaml");
}

json run(const std::string& state, testkit::TempDir& dir) {
  RunOptions o;
  o.lab_dir = dir / ("lab-" + state);
  o.scalelab_exe = testkit::AppCluster::binary("scalelab");
  o.label = state;
  return run_experiment(short_experiment(state), o);
}

double total(const json& j, const std::string& group, const std::string& key) {
  double sum = 0;
  for (const auto& s : j["series"]) sum += s[group].value(key, 0.0);
  return sum;
}

// The journal reads into lab/journal's types and is written back byte for byte.
void expect_round_trip(const json& j) {
  namespace journal = scalelab::journal;
  EXPECT_EQ(journal::journal_text(journal::to_json(journal::parse_journal(j))), journal::journal_text(j));
}

// The journal's documented shape (lab/experiment/JOURNAL.md).
void expect_journal_shape(const json& j) {
  expect_round_trip(j);
  EXPECT_EQ(j["schema"], "scalelab.journal/1");
  for (const char* key : {"experiment", "label", "started_at", "ended_at", "duration_s", "t0_unix", "lab", "hypothesis",
                          "actions", "rollbacks", "events", "series", "load", "verdict"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"title", "description", "tags", "file", "cluster", "load"}) EXPECT_TRUE(j["experiment"].contains(key)) << key;
  for (const char* phase : {"before", "after"}) {
    EXPECT_TRUE(j["hypothesis"][phase]["met"].is_boolean());
    for (const auto& p : j["hypothesis"][phase]["probes"])
      for (const char* key : {"name", "type", "window", "tolerance", "value", "met", "detail"}) EXPECT_TRUE(p.contains(key)) << key;
  }
  ASSERT_EQ(j["actions"].size(), 2u);
  for (const auto& a : j["actions"]) {
    for (const char* key : {"name", "type", "args", "at_s", "started_s", "ended_s", "status", "detail"}) EXPECT_TRUE(a.contains(key)) << key;
    EXPECT_EQ(a["status"], "succeeded") << a["detail"];
    EXPECT_NEAR(a["started_s"].get<double>(), a["at_s"].get<double>(), 0.5);
  }
  EXPECT_EQ(j["rollbacks"].size(), 1u);
  EXPECT_GE(j["series"].size(), 6u);
  for (const auto& s : j["series"])
    for (const char* key : {"elapsed_s", "requests", "errors", "violations", "checks", "latency_ms", "instances"})
      EXPECT_TRUE(s.contains(key)) << key;
  bool saw_kill_exit = false;
  for (const auto& e : j["events"]) {
    for (const char* key : {"t_s", "kind", "component", "detail"}) EXPECT_TRUE(e.contains(key)) << key;
    saw_kill_exit = saw_kill_exit || (e["kind"] == "exit" && e["component"] == "app-3");
  }
  EXPECT_TRUE(saw_kill_exit) << "the lab's own events are in the journal";
  for (const char* key : {"deviated", "status", "summary", "error"}) EXPECT_TRUE(j["verdict"].contains(key)) << key;
}

}  // namespace

TEST(ExperimentRunner, SharedStateHoldsWithZeroViolations) {
  testkit::TempDir dir;
  const json j = run("shared", dir);
  expect_journal_shape(j);
  EXPECT_EQ(j["verdict"]["status"], "completed") << j["verdict"].dump();
  EXPECT_FALSE(j["verdict"]["deviated"]);
  EXPECT_GT(total(j, "checks", "session"), 100);
  double violations = 0;
  for (const auto& s : j["series"])
    for (const auto& [kind, n] : s["violations"].items()) violations += n.get<double>();
  EXPECT_EQ(violations, 0);

  const auto html = write_journal(j, dir.path(), "shared");
  std::ifstream in(html);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("<svg"), std::string::npos);
  EXPECT_NE(text.str().find("kill app-3"), std::string::npos) << "actions are marked on the charts";
  EXPECT_TRUE(std::filesystem::exists(dir / "shared.json"));
}

TEST(ExperimentRunner, LocalStateLosesMoreThanHalfOfSessionReads) {
  testkit::TempDir dir;
  const json j = run("local", dir);
  expect_journal_shape(j);
  EXPECT_EQ(j["verdict"]["status"], "deviated");
  EXPECT_TRUE(j["verdict"]["deviated"]);
  const double lost = total(j, "violations", "session_lost"), checks = total(j, "checks", "session");
  ASSERT_GT(checks, 100);
  EXPECT_GT(lost / checks, 0.5) << lost << " of " << checks << " session reads lost";
}

TEST(ExperimentRunner, ALabThatCannotStartAbortsTheRun) {
  testkit::TempDir dir;
  RunOptions o;
  o.lab_dir = dir / "lab";
  o.scalelab_exe = "/nonexistent/scalelab";
  const json j = run_experiment(short_experiment("shared"), o);
  EXPECT_EQ(j["verdict"]["status"], "aborted");
  EXPECT_NE(j["verdict"]["error"].get<std::string>().find("did not come up"), std::string::npos) << j["verdict"].dump();
  EXPECT_EQ(j["load"], json::object());
  EXPECT_FALSE(j["hypothesis"]["after"]["met"]);
  expect_round_trip(j);
}
