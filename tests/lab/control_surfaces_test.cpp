// Who may use a running lab's control surfaces (common/admin_guard.hpp): the
// supervisor's control API with the console's routes on the same port, and the fault
// proxy's API. A web page whose DNS name was rebound to 127.0.0.1 reaches these ports,
// but its requests carry its own name in Host; a page on another origin can POST
// without a preflight. Both are refused, while the CLI and the console's own page go on
// working.
#include <httplib.h>

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "tests/lab/lab_harness.hpp"

using namespace scalelab::testkit;
using nlohmann::json;

namespace {

std::string state_of(LabHarness& lab, const std::string& id) {
  const json status = lab.status();
  for (const auto& c : status["components"])
    if (c["id"] == id) return c["state"];
  return "";
}

// The {"error"} of a refusal, or what went wrong instead.
std::string refusal(const httplib::Result& r, int status) {
  if (!r) return "no answer";
  if (r->status != status) return "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 120);
  const auto body = json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body.contains("detail")) return "not an error body: " + r->body;
  return body.value("error", "");
}

json sample() {
  return {{"t", 1}, {"elapsed_s", 1}, {"interval_s", 1.0}, {"requests", 10}, {"responses", 10}, {"errors", 0},
          {"rps", 10.0}, {"status", {{"2xx", 10}}}, {"violations", json::object()}, {"checks", json::object()},
          {"latency_ms", {{"p99", 1.0}}}};
}

// One lab for both tests: they only read it, or put back what they change.
class LabControlSurfaces : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = std::make_unique<LabHarness>();
    shared_->up({"--instances", "1"});
  }
  static void TearDownTestSuite() { shared_.reset(); }

  LabHarness& lab = *shared_;

 private:
  static inline std::unique_ptr<LabHarness> shared_;
};

}  // namespace

TEST_F(LabControlSurfaces, TheControlApiAndConsoleAnswerOnlyTheirOwnHostAndOrigin) {
  const std::uint16_t port = lab.base_port() + 2;
  const std::string p = std::to_string(port);
  auto api = loopback_client(port);

  // Every route, the probe and the console's included, with a rebound name: 403.
  for (const std::string path : {"/healthz", "/status", "/events", "/logs/app-1", "/logs/supervisor", "/faults",
                                 "/console", "/console/api/snapshot", "/console/api/series", "/console/api/load"}) {
    for (const std::string& host : std::vector<std::string>{"rebind.example:" + p, "127.0.0.1:" + std::to_string(port + 1), "127.0.0.1"})
      EXPECT_EQ(refusal(api.Get(path, {{"Host", host}}), 403), "forbidden_host") << path << " Host " << host;
    for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + p, "localhost:" + p}) {
      auto r = api.Get(path, {{"Host", host}});
      ASSERT_TRUE(r) << path;
      EXPECT_EQ(r->status, 200) << path << " Host " << host << ": " << r->body;
    }
  }

  // A change asked for under a rebound name is refused before it acts.
  EXPECT_EQ(refusal(api.Post("/components/app-1/pause", {{"Host", "rebind.example:" + p}}, "{}", "application/json"), 403),
            "forbidden_host");
  EXPECT_EQ(state_of(lab, "app-1"), "ready");

  // Changes from another origin, the console's routes and a sandboxed page included.
  for (const std::string& origin :
       std::vector<std::string>{"http://attacker.example", "null", "http://localhost:" + p, "https://127.0.0.1:" + p}) {
    EXPECT_EQ(refusal(api.Post("/components/app-1/pause", {{"Origin", origin}}, "{}", "application/json"), 403),
              "forbidden_origin")
        << origin;
    EXPECT_EQ(refusal(api.Post("/console/api/load-sample?source=evil", {{"Origin", origin}}, sample().dump(),
                               "application/json"),
                      403),
              "forbidden_origin")
        << origin;
    EXPECT_EQ(refusal(api.Post("/down", {{"Origin", origin}}, "{}", "application/json"), 403), "forbidden_origin")
        << origin;
    // Scale to zero's wake-up call: a page must not start instances (and spend the
    // machine) by asking for them.
    EXPECT_EQ(refusal(api.Post("/activate", {{"Origin", origin}}, R"({"waiting": 1000})", "application/json"), 403),
              "forbidden_origin")
        << origin;
  }
  EXPECT_EQ(refusal(api.Post("/activate", {{"Host", "rebind.example:" + p}}, R"({"waiting": 1})", "application/json"),
                    403),
            "forbidden_host");
  // The balancer's own call (no Origin, a loopback Host) is answered.
  auto activate = api.Post("/activate", R"({"waiting": 1})", "application/json");
  ASSERT_TRUE(activate);
  EXPECT_EQ(activate->status, 200) << activate->body;
  EXPECT_EQ(json::parse(activate->body)["autoscaling"], false);
  EXPECT_EQ(state_of(lab, "app-1"), "ready");
  auto load = api.Get("/console/api/load");
  ASSERT_TRUE(load);
  EXPECT_EQ(json::parse(load->body)["active"], false) << "no refused sample reached the board";

  // The console page's own requests carry its own origin, under either loopback name.
  auto own = api.Post("/console/api/load-sample?source=page", {{"Origin", "http://127.0.0.1:" + p}}, sample().dump(),
                      "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 202) << own->body;
  auto by_name = api.Post("/components/app-1/pause", {{"Host", "localhost:" + p}, {"Origin", "http://localhost:" + p}},
                          "{}", "application/json");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->status, 200) << by_name->body;
  EXPECT_EQ(state_of(lab, "app-1"), "paused");
  EXPECT_EQ(lab.cli({"resume", "app-1"}).exit_code, 0) << "the CLI still drives the lab";
}

TEST_F(LabControlSurfaces, TheFaultProxyApiAnswersOnlyItsOwnHostAndOrigin) {
  const std::uint16_t port = lab.base_port() + 7;
  const std::string p = std::to_string(port);
  auto api = loopback_client(port);

  for (const std::string path : {"/healthz", "/metrics", "/proxies", "/proxies/redis/toxics"}) {
    EXPECT_EQ(refusal(api.Get(path, {{"Host", "rebind.example:" + p}}), 403), "forbidden_host") << path;
    auto r = api.Get(path, {{"Host", "localhost:" + p}});
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  }
  const std::string toxic = R"({"type":"latency","attributes":{"latency":100}})";
  for (const std::string origin : {"http://attacker.example", "null"}) {
    EXPECT_EQ(refusal(api.Post("/proxies/redis/toxics", {{"Origin", origin}}, toxic, "application/json"), 403),
              "forbidden_origin");
    EXPECT_EQ(refusal(api.Post("/reset", {{"Origin", origin}}, "", "application/json"), 403), "forbidden_origin");
    EXPECT_EQ(refusal(api.Delete("/proxies/redis/toxics", {{"Origin", origin}}), 403), "forbidden_origin");
  }
  EXPECT_EQ(refusal(api.Post("/proxies/redis/toxics", {{"Host", "rebind.example:" + p}}, toxic, "application/json"), 403),
            "forbidden_host");
  auto toxics = api.Get("/proxies/redis/toxics");
  ASSERT_TRUE(toxics);
  EXPECT_EQ(toxics->body, "[]") << "nothing refused was added";

  // The lab drives it through the supervisor as before.
  auto added = lab.cli({"fault", "redis", "latency", "latency=50"});
  EXPECT_EQ(added.exit_code, 0) << added.output;
  auto listed = lab.cli({"fault", "list"});
  EXPECT_NE(listed.output.find("latency"), std::string::npos) << listed.output;
  EXPECT_EQ(lab.cli({"fault", "redis", "clear"}).exit_code, 0);
}
