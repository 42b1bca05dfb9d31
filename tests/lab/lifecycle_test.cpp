// The lab's control plane, end to end through the real CLI: up, status, scale out and
// in, kill -9, pause and resume, toggle, down, and what happens when the supervisor
// itself is killed.
#include <httplib.h>

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/process.hpp"
#include "tests/lab/lab_harness.hpp"

using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json component(const json& status, const std::string& id) {
  for (const auto& c : status["components"])
    if (c["id"] == id) return c;
  return nullptr;
}

int count_apps(const json& status) {
  int n = 0;
  for (const auto& c : status["components"]) n += c["kind"] == "app";
  return n;
}


}  // namespace

TEST(Lab, UpStatusScaleKillPauseToggleDown) {
  LabHarness lab;
  lab.up({"--instances", "3"});
  auto status = lab.status();
  EXPECT_EQ(count_apps(status), 3);
  for (const char* id : {"balancer", "app-1", "app-2", "app-3", "redis", "s3", "faults"})
    EXPECT_EQ(component(status, id)["state"], "ready") << id;
  const auto text = lab.cli({"status"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.output.find("app-3"), std::string::npos) << text.output;

  // Through the balancer, one session is served by every instance in turn.
  auto svc = loopback_client(lab.base_port());
  auto login = svc.Post("/api/login", R"({"user":"alice"})", "application/json");
  ASSERT_EQ(login->status, 200);
  const std::string cookie = login->get_header_value("Set-Cookie").substr(0, login->get_header_value("Set-Cookie").find(';'));
  std::set<std::string> served;
  for (int i = 0; i < 6; ++i) {
    auto me = svc.Get("/api/me", {{"Cookie", cookie}});
    ASSERT_EQ(me->status, 200);
    served.insert(me->get_header_value("X-Instance"));
  }
  EXPECT_EQ(served, (std::set<std::string>{"app-1", "app-2", "app-3"}));

  ASSERT_EQ(lab.cli({"scale", "5"}).exit_code, 0);
  EXPECT_EQ(count_apps(lab.status()), 5);
  ASSERT_EQ(lab.cli({"scale", "2"}).exit_code, 0);
  status = lab.status();
  EXPECT_EQ(count_apps(status), 2);
  EXPECT_TRUE(component(status, "app-3").is_null()) << "scaled in from the highest number";

  // kill -9: status says killed, and the balancer stops sending to it.
  const int killed_pid = component(status, "app-2")["pid"];
  ASSERT_EQ(lab.cli({"kill", "app-2", "--signal", "KILL"}).exit_code, 0);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(running(killed_pid));
  EXPECT_EQ(component(lab.status(), "app-2")["state"], "killed");
  for (int i = 0; i < 10; ++i) {
    auto me = svc.Get("/api/me", {{"Cookie", cookie}});
    ASSERT_TRUE(me);
    EXPECT_EQ(me->status, 200) << "the same session keeps working";
    EXPECT_EQ(me->get_header_value("X-Instance"), "app-1");
  }

  ASSERT_EQ(lab.cli({"pause", "app-1"}).exit_code, 0);
  EXPECT_EQ(component(lab.status(), "app-1")["state"], "paused");
  ASSERT_EQ(lab.cli({"resume", "app-1"}).exit_code, 0);
  auto resumed = lab.client().wait_for([](const json& s) { return component(s, "app-1")["state"] == "ready"; }, 10s);
  EXPECT_EQ(component(resumed, "app-1")["state"], "ready");

  auto toggled = lab.cli({"toggle", "local"});
  ASSERT_EQ(toggled.exit_code, 0) << toggled.output;
  EXPECT_EQ(svc.Get("/healthz")->get_header_value("X-Scalelab-State"), "local");
  ASSERT_EQ(lab.cli({"restart", "app-2"}).exit_code, 0);  // a restarted instance gets the lab's state too
  auto back = svc.Get("/healthz");
  EXPECT_EQ(back->get_header_value("X-Scalelab-State"), "local");

  const auto pids = lab.pids();
  ASSERT_GE(pids.size(), 6u);
  auto down = lab.cli({"down"});
  ASSERT_EQ(down.exit_code, 0) << down.output;
  for (int pid : pids) EXPECT_FALSE(running(pid)) << "pid " << pid << " outlived `scalelab down`";
  EXPECT_FALSE(std::filesystem::exists(lab.lab_dir() / "supervisor.lock")) << "no stale lock";
  EXPECT_EQ(lab.cli({"status"}).exit_code, 1);
}

// A restart whose component never gets ready again: restart_and_wait (the CLI's
// `restart` and an experiment's restart action) gives up at its timeout and says what
// state the component is in, instead of waiting for good or calling it ready. Here
// Redis is frozen, so the restarted instance starts but its readiness check fails.
TEST(Lab, ARestartThatNeverGetsReadyEndsAtItsTimeoutAndSaysWhy) {
  LabHarness lab;
  lab.up({"--instances", "1"});
  auto client = lab.client();
  ASSERT_EQ(component(lab.status(), "app-1")["state"], "ready");
  client.pause("redis");
  const auto started = std::chrono::steady_clock::now();
  const json entry = client.restart_and_wait("app-1", 4s);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_NE(entry["state"], "ready") << entry.dump();
  EXPECT_EQ(entry["restarts"], 1) << "it did restart: " << entry.dump();
  EXPECT_GE(waited, 4s) << "it waited its whole timeout";
  EXPECT_LT(waited, 15s) << "and no longer";

  client.resume("redis");
  const json again = client.restart_and_wait("app-1", 30s);
  EXPECT_EQ(again["state"], "ready") << "with Redis back, a restart is ready again: " << again.dump();
}

TEST(Lab, KillingTheSupervisorTakesEveryChildWithItAndASecondLabSurvives) {
  LabHarness first, second;
  first.up({"--instances", "2"});
  second.up({"--instances", "1"});
  const auto children = first.pids();
  const int supervisor = first.supervisor_pid();
  ASSERT_GT(supervisor, 0);
  ::kill(supervisor, SIGKILL);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  bool all_gone = false;
  while (!all_gone && std::chrono::steady_clock::now() < deadline) {
    all_gone = true;
    for (int pid : children) all_gone = all_gone && !running(pid);
    if (!all_gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(all_gone) << "every child of a SIGKILLed supervisor dies within 2 s";
  auto other = loopback_client(second.base_port()).Get("/healthz");
  ASSERT_TRUE(other) << "a second lab on another base port is unaffected";
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(count_apps(second.status()), 1);

  // The next `up` on that folder cleans up and starts fresh.
  first.up({"--instances", "1"});
  EXPECT_EQ(count_apps(first.status()), 1);
}

TEST(Lab, CliErrorsAreOneLineWithTheRightExitCode) {
  LabHarness lab;
  auto no_lab = lab.cli({"status"});
  EXPECT_EQ(no_lab.exit_code, 1);
  EXPECT_NE(no_lab.output.find("no lab is running"), std::string::npos) << no_lab.output;
  EXPECT_EQ(lab.cli({"up", "--lb", "bogus"}).exit_code, 2);
  EXPECT_EQ(lab.cli({"up", "--instances", "0"}).exit_code, 2);
  EXPECT_EQ(lab.cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(lab.cli({"up", "--help"}).exit_code, 0);
  lab.up({"--instances", "1"});
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"kill", "app-9"}, {"restart", "app-9"}, {"kill", "app-1", "--signal", "BOGUS"},
        {"scale", "0"},
        {"toggle", "database", "local"}, {"toggle", "sideways"}, {"fault", "redis", "latency", "latency=fast"},
        {"fault", "mysql", "latency"}, {"logs", "nothing"}}) {
    auto r = lab.cli(bad);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1] << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_EQ(r.output.rfind("scalelab: ", 0), 0u) << r.output;
  }
  EXPECT_EQ(lab.cli({"pause", "app-1"}).exit_code, 0);
  EXPECT_EQ(lab.cli({"pause", "app-1"}).exit_code, 1) << "already paused: a failure, not a usage error";
}

TEST(Lab, PrometheusScrapesEveryTargetAndFollowsScaling) {
  if (!scalelab::process::find_executable("prometheus")) GTEST_SKIP() << "prometheus is not installed (apt-get install prometheus)";
  LabHarness lab;
  lab.up({"--instances", "2", "--prometheus"});
  httplib::Client prom("127.0.0.1", lab.base_port() + 8);
  prom.set_read_timeout(5, 0);
  auto app_targets = [&] {
    std::set<std::string> up;
    auto r = prom.Get("/api/v1/targets");
    if (!r || r->status != 200) return up;
    const json targets = json::parse(r->body);  // kept alive for the loop
    for (const auto& t : targets["data"]["activeTargets"])
        if (t["labels"]["job"] == "app" && t["health"] == "up") up.insert(t["labels"]["instance"]);
    return up;
  };
  auto wait_for = [&](const std::set<std::string>& want) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (app_targets() != want && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(250ms);
    return app_targets();
  };
  EXPECT_EQ(wait_for({"app-1", "app-2"}), (std::set<std::string>{"app-1", "app-2"}));
  auto rules = prom.Get("/api/v1/rules");
  ASSERT_TRUE(rules);
  EXPECT_FALSE(json::parse(rules->body)["data"]["groups"].empty()) << "the recording and alert rules are loaded";
  ASSERT_EQ(lab.cli({"scale", "3"}).exit_code, 0);
  EXPECT_EQ(wait_for({"app-1", "app-2", "app-3"}), (std::set<std::string>{"app-1", "app-2", "app-3"}));
}

TEST(Lab, APausedInstanceCatchesUpWithAToggleAndForeignPagesCannotDriveTheLab) {
  LabHarness lab;
  lab.up({"--instances", "2"});
  ASSERT_EQ(lab.cli({"pause", "app-1"}).exit_code, 0);
  ASSERT_EQ(lab.cli({"toggle", "cache", "local"}).exit_code, 0);
  ASSERT_EQ(lab.cli({"resume", "app-1"}).exit_code, 0);
  const std::string expected = "sessions=shared,cache=local,uploads=shared,ratelimit=shared";
  httplib::Client app1("127.0.0.1", lab.base_port() + 11);
  std::string mode;
  for (int i = 0; i < 60 && mode != expected; ++i) {
    if (auto r = app1.Get("/healthz")) mode = r->get_header_value("X-Scalelab-State");
    if (mode != expected) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(mode, expected) << "the supervisor pushes the lab's state to an instance that missed the toggle";

  httplib::Client api("127.0.0.1", lab.base_port() + 2);
  auto foreign = api.Post("/components/app-2/pause", {{"Origin", "http://attacker.example"}}, "{}", "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_EQ(component(lab.status(), "app-2")["state"], "ready");
  auto own = api.Post("/components/app-2/pause", {{"Origin", "http://127.0.0.1:" + std::to_string(lab.base_port() + 2)}},
                      "{}", "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
}
