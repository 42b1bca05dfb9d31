// The console's HTTP side against a real lab started by the real CLI: the page and its
// files, `scalelab console`, the sampler's rates and distribution under traffic, the
// load board (fed by a real `scalelab load`), and the balancer's ejection showing up in the lab's event log after a
// kill. Runs without a browser (console_e2e_test.cpp drives the page itself).
#include <httplib.h>

#include <thread>

#include <gtest/gtest.h>

#include "tests/lab/lab_harness.hpp"

using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json snapshot(httplib::Client& sup, const std::string& query = "") {
  auto r = sup.Get("/console/api/snapshot" + query);
  if (!r || r->status != 200) return nullptr;
  return json::parse(r->body);
}

// Sends GETs through the balancer for `d`, about 100 a second.
void traffic(std::uint16_t port, std::chrono::milliseconds d) {
  auto svc = loopback_client(port);
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    svc.Get("/api/items/1");
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

TEST(ConsoleApi, PageSamplerLoadBoardAndEjections) {
  LabHarness lab;
  const auto none = lab.cli({"console"});
  EXPECT_EQ(none.exit_code, 1) << "no lab yet: " << none.output;
  lab.up({"--instances", "3"});
  const std::uint16_t control = lab.base_port() + 2;
  auto sup = loopback_client(control);

  // `scalelab console` prints the URL, and the URL serves the page and its files.
  const auto printed = lab.cli({"console"});
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_EQ(printed.output, "http://127.0.0.1:" + std::to_string(control) + "/console\n");
  auto page = sup.Get("/console");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("scalelab console"), std::string::npos);
  auto js = sup.Get("/console/console.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  auto missing = sup.Get("/console/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"], "not_found");
  auto root = sup.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->get_header_value("Location"), "/console");
  EXPECT_EQ(sup.Get("/console/api/snapshot?since=soon")->status, 400);

  // Under traffic the sampler charts every instance and the balancer's spread.
  std::thread load([&] { traffic(lab.base_port(), 4s); });
  load.join();
  json snap = snapshot(sup);
  ASSERT_FALSE(snap.is_null());
  EXPECT_EQ(snap["status"]["components"].size(), 8u) << snap["status"].dump();  // balancer, 3 apps, redis, s3, postgres, faults
  EXPECT_GE(snap["series"]["t"].size(), 2u);
  for (const char* id : {"app-1", "app-2", "app-3"}) {
    ASSERT_TRUE(snap["series"]["instances"].contains(id)) << id;
    double peak = 0;
    for (const auto& v : snap["series"]["instances"][id]["rps"])
      if (v.is_number()) peak = std::max(peak, v.get<double>());
    EXPECT_GT(peak, 5) << id << ": " << snap["series"]["instances"][id].dump();
  }
  ASSERT_TRUE(snap["balancer"].is_object()) << snap.dump();
  double shares = 0;
  for (const auto& b : snap["balancer"]["backends"]) {
    ASSERT_TRUE(b["recent_share"].is_number()) << b.dump();
    EXPECT_NEAR(b["recent_share"].get<double>(), 1.0 / 3, 0.15) << b.dump();
    shares += b["recent_share"].get<double>();
  }
  EXPECT_NEAR(shares, 1.0, 1e-9);
  EXPECT_TRUE(snap["faults"].contains("redis") && snap["faults"].contains("s3")) << snap["faults"].dump();
  // A later poll gets only newer frames.
  const double last_t = snap["series"]["t"].back();
  std::this_thread::sleep_for(1500ms);
  json next = snapshot(sup, "?since=" + json(last_t).dump() + "&events=" + std::to_string(snap["events"].back()["seq"].get<int>()));
  for (const auto& t : next["series"]["t"]) EXPECT_GT(t.get<double>(), last_t);
  EXPECT_LT(next["events"].size(), snap["events"].size()) << "only the events after SEQ";

  // The load board: a sample in the lab/load shape is shown, anything else refused.
  const json sample = {{"t", 1}, {"requests", 10}, {"errors", 0}, {"rps", 10.0}, {"violations", {{"session_lost", 2}}},
                       {"checks", {{"session", 8}}}, {"latency_ms", {{"p99", 1.5}}}};
  auto posted = sup.Post("/console/api/load-sample?source=test", sample.dump(), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 202) << posted->body;
  auto refused = sup.Post("/console/api/load-sample", R"({"t": 2})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(json::parse(refused->body)["error"], "bad_sample");
  EXPECT_EQ(sup.Post("/console/api/load-sample", "not json", "application/json")->status, 400);
  auto board = json::parse(sup.Get("/console/api/load")->body);
  EXPECT_TRUE(board["active"]);
  EXPECT_EQ(board["source"], "test");
  EXPECT_EQ(board["run"]["violations"]["session_lost"], 2.0);

  // `scalelab load` with no --target drives this lab's balancer and feeds its console.
  const auto ran = lab.cli({"load", "--duration", "3s", "--users", "4", "--mix", "session=1", "--progress", "none",
                            "--output", "json"});
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("driving 127.0.0.1:" + std::to_string(lab.base_port())), std::string::npos) << ran.output;
  board = json::parse(sup.Get("/console/api/load")->body);
  EXPECT_EQ(board["source"], "scalelab load") << board.dump();
  EXPECT_GE(board["run"]["samples"].get<int>(), 3) << board.dump();
  EXPECT_GT(board["run"]["requests"].get<double>(), 10) << board.dump();
  EXPECT_GT(board["run"]["checks"].value("session", 0.0), 0) << board.dump();
  EXPECT_EQ(board["run"]["violations"].value("session_lost", 0.0), 0) << "shared sessions: " << board.dump();

  // Kill app-2 under traffic: its share of recent answers falls to zero, and the
  // balancer's verdict on it reaches the lab's event log.
  ASSERT_EQ(lab.cli({"kill", "app-2"}).exit_code, 0);
  std::atomic<bool> stop{false};
  std::thread more([&] {
    while (!stop) traffic(lab.base_port(), 500ms);
  });
  bool zero = false, noted = false;
  for (int i = 0; i < 40 && !(zero && noted); ++i) {
    std::this_thread::sleep_for(500ms);
    snap = snapshot(sup);
    for (const auto& b : snap["balancer"]["backends"])
      if (b["id"] == "app-2") zero = b["recent_share"].is_number() && b["recent_share"].get<double>() == 0;
    auto events = sup.Get("/events");
    for (const auto& e : events ? json::parse(events->body) : json::array())
      noted = noted || (e["component"] == "app-2" && (e["kind"] == "eject" || e["kind"] == "lb_unhealthy"));
  }
  stop = true;
  more.join();
  EXPECT_TRUE(zero) << snap["balancer"].dump();
  EXPECT_TRUE(noted) << "no eject or lb_unhealthy event for app-2";
  const auto app2 = snap["series"]["instances"].value("app-2", json::object()).value("rps", json::array());
  EXPECT_TRUE(!app2.empty() && app2.back().is_null()) << "a killed instance has no new points: " << app2.dump();
}
