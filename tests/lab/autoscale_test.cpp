// The autoscaler in a real lab: I/O-bound load on one instance raises the count to the
// policy's max within a sync or two, the count holds through the scale-down window
// and then returns to min once the load stops, every decision is an event with its
// inputs, `scalelab scale` is refused while it decides, bad policies get one line, and
// with min=0 an idle lab scales to zero and the next request waits for a cold start.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/lab/lab_harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

int ready_apps(const nlohmann::json& status) {
  int n = 0;
  for (const auto& c : status["components"]) n += c["kind"] == "app" && c["state"] == "ready";
  return n;
}

int app_count(const nlohmann::json& status) {
  int n = 0;
  for (const auto& c : status["components"]) n += c["kind"] == "app";
  return n;
}

// Polls `status` every 200 ms until `done` holds or `limit` passes.
bool wait_until(LabHarness& lab, const std::function<bool(const nlohmann::json&)>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done(lab.status())) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

std::vector<nlohmann::json> autoscale_events(LabHarness& lab) {
  auto cli = loopback_client(static_cast<std::uint16_t>(lab.base_port() + 2));
  auto r = cli.Get("/events");
  std::vector<nlohmann::json> out;
  if (!r) return out;
  for (const auto& e : nlohmann::json::parse(r->body))
    if (e["kind"] == "autoscale") out.push_back(e);
  return out;
}

}  // namespace

TEST(Autoscale, LoadRaisesTheCountToMaxAndIdleBringsItBackAfterTheWindow) {
  LabHarness lab;
  lab.up({"--instances", "1", "--autoscale", "min=1,max=3,metric=in_flight,target=2,sync=1s,window=3s"});
  // 12 clients each keeping one 100 ms request in flight: 12 per instance at first.
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 12; ++i)
    clients.emplace_back([&] {
      auto cli = loopback_client(lab.base_port());
      while (!stop) (void)cli.Get("/api/work?io_ms=100");
    });
  const bool raised = wait_until(lab, [](const nlohmann::json& s) { return ready_apps(s) == 3; }, 20s);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(raised) << lab.status().dump();

  // While it decides, a count set by hand is refused with a one-line reason.
  const auto refused = lab.cli({"scale", "2"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("the autoscaler decides the count"), std::string::npos) << refused.output;

  // Idle: the window (3 s) holds the count, then it falls to min.
  const auto idle_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(lab, [](const nlohmann::json& s) { return app_count(s) == 1; }, 20s)) << lab.status().dump();
  EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 2s) << "the scale-down window held the count";

  const auto events = autoscale_events(lab);
  bool up = false, held = false, down = false;
  for (const auto& e : events) {
    const std::string d = e["detail"];
    up = up || d.rfind("1 -> 3: in_flight", 0) == 0 || d.rfind("1 -> 2: in_flight", 0) == 0;
    held = held || d.find("limited by stabilization_window") != std::string::npos;
    down = down || (d.find(" -> 1: in_flight") != std::string::npos && d.rfind("1 -> 1", 0) != 0);
  }
  EXPECT_TRUE(up && held && down) << nlohmann::json(events).dump(1);

  // Off: the count stays, and scaling by hand works again.
  const auto off = lab.cli({"autoscale", "off"});
  EXPECT_EQ(off.exit_code, 0) << off.output;
  EXPECT_NE(off.output.find("autoscaling is off"), std::string::npos) << off.output;
  EXPECT_EQ(lab.cli({"scale", "2"}).exit_code, 0);
}

TEST(Autoscale, BadPoliciesGetOneLineAndChangeNothing) {
  LabHarness lab;
  const auto no_target = lab.cli({"up", "--base-port", std::to_string(lab.base_port()), "--autoscale", "max=3"});
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_NE(no_target.output.find("target"), std::string::npos) << no_target.output;
  const auto zero_on_cpu =
      lab.cli({"up", "--base-port", std::to_string(lab.base_port()), "--autoscale", "min=0,max=3,metric=cpu,target=0.5"});
  EXPECT_EQ(zero_on_cpu.exit_code, 2);
  EXPECT_NE(zero_on_cpu.output.find("min=0 needs metric"), std::string::npos) << zero_on_cpu.output;

  lab.up({"--instances", "2"});
  const auto shown = lab.cli({"autoscale", "show"});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_NE(shown.output.find("autoscaling is off"), std::string::npos) << shown.output;
  for (const char* spec : {"min=4,max=2,target=1", "max=3,target=1,metric=memory", "max=3,target=-1", "max=3,target=1,sync=0s"}) {
    const auto r = lab.cli({"autoscale", "set", spec});
    EXPECT_EQ(r.exit_code, 2) << spec;  // a refused request, as for every 4xx
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  auto api = loopback_client(static_cast<std::uint16_t>(lab.base_port() + 2));
  auto bad_json = api.Put("/autoscale", "{\"policy\": {\"max\": 3}}", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad_json->body)["error"], "bad_policy") << bad_json->body;
  EXPECT_EQ(app_count(lab.status()), 2);
  EXPECT_EQ(lab.cli({"autoscale", "set", "min=2,max=4,metric=rps,target=100"}).exit_code, 0);
  const auto on = lab.cli({"autoscale", "show", "--json"});
  EXPECT_EQ(nlohmann::json::parse(on.output)["policy"]["metric"], "rps") << on.output;
}

// Knative's initial-scale 0: a lab started at zero runs no instance until a request
// asks for one, so a cold-start experiment need not wait for the autoscaler to get there.
TEST(Autoscale, ALabStartedAtZeroRunsNothingUntilTheFirstRequest) {
  LabHarness lab;
  const auto refused = lab.cli({"up", "--base-port", std::to_string(lab.base_port()), "--instances", "0"});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--instances 0 starts the lab at zero, which needs --autoscale with min=0"), std::string::npos)
      << refused.output;
  lab.up({"--instances", "0", "--app-env", "SCALELAB_STARTUP_DELAY_MS=500", "--autoscale",
          "min=0,max=2,metric=in_flight,target=5,sync=500ms,window=1s,idle=5s"});
  EXPECT_EQ(app_count(lab.status()), 0) << lab.status().dump();
  auto cli = loopback_client(lab.base_port());
  cli.set_read_timeout(20, 0);
  const auto r = cli.Get("/api/work?io_ms=1");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(r->has_header("X-Scalelab-Cold-Start-Ms")) << "the first request waited for a start";
  EXPECT_GE(std::stol(r->get_header_value("X-Scalelab-Cold-Start-Ms")), 500) << "the instance's start-up delay";
  EXPECT_EQ(app_count(lab.status()), 1);
}

TEST(Autoscale, AnIdleLabScalesToZeroAndTheNextRequestWaitsForAColdStart) {
  LabHarness lab;
  lab.up({"--instances", "1", "--app-env", "SCALELAB_STARTUP_DELAY_MS=700", "--autoscale",
          "min=0,max=2,metric=in_flight,target=5,sync=500ms,window=1s,idle=2s"});
  // No request for idle (2 s): the last instance goes.
  const auto since = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(lab, [](const nlohmann::json& s) { return app_count(s) == 0; }, 20s)) << lab.status().dump();
  EXPECT_GE(std::chrono::steady_clock::now() - since, 1500ms);

  // A request at zero waits at the balancer for the instance it wakes, and says so.
  auto cli = loopback_client(lab.base_port());
  cli.set_read_timeout(20, 0);
  auto r = cli.Get("/api/work?io_ms=1");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(r->has_header("X-Scalelab-Cold-Start-Ms")) << "a request at zero waited for a start";
  EXPECT_GE(std::stol(r->get_header_value("X-Scalelab-Cold-Start-Ms")), 700) << "the instance's start-up delay";
  EXPECT_EQ(app_count(lab.status()), 1);
  auto warm = cli.Get("/api/work?io_ms=1");
  ASSERT_TRUE(warm);
  EXPECT_FALSE(warm->has_header("X-Scalelab-Cold-Start-Ms"));

  const auto events = autoscale_events(lab);
  bool to_zero = false, from_zero = false, held_for_idle = false;
  for (const auto& e : events) {
    const std::string d = e["detail"];
    to_zero = to_zero || d.rfind("1 -> 0: in_flight", 0) == 0;
    from_zero = from_zero || d.rfind("0 -> 1: 1 requests wait at the balancer", 0) == 0;
    held_for_idle = held_for_idle || d.find("limited by idle: no request for") != std::string::npos;
  }
  EXPECT_TRUE(to_zero && from_zero && held_for_idle) << nlohmann::json(events).dump(1);
}
