// The control API's routes and error shapes, called as a function (no HTTP): every bad
// input is a 4xx with {"error","detail"}, never an exception.
#include "lab/faultproxy/api_handler.hpp"

#include <gtest/gtest.h>

#include "common/net.hpp"

using namespace scalelab;
using namespace scalelab::faultproxy;
using nlohmann::json;

namespace {

class ApiHandlerTest : public ::testing::Test {
 protected:
  ApiHandlerTest() {
    const auto def = parse_proxy_definition("redis=127.0.0.1:" + std::to_string(net::free_port()) + ",127.0.0.1:1");
    proxies["redis"] = std::make_shared<Proxy>(io, def, families);
  }
  ApiResponse call(std::string_view method, std::string_view target, std::string_view body = "") {
    return handler.handle(method, target, body);
  }
  static void expect_error(const ApiResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("error", ""), code) << r.body;
    EXPECT_FALSE(body.value("detail", "").empty()) << r.body;
  }

  asio::io_context io;
  prometheus::Registry registry;
  MetricFamilies families{registry};
  std::map<std::string, std::shared_ptr<Proxy>> proxies;
  ApiHandler handler{proxies, registry};
};

}  // namespace

TEST_F(ApiHandlerTest, AddListGetRemoveClear) {
  const auto added = call("POST", "/proxies/redis/toxics",
                          R"({"type":"latency","name":"slow","attributes":{"latency":200,"jitter":20}})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(json::parse(added.body)["attributes"]["jitter"], 20.0);

  const json all = json::parse(call("GET", "/proxies").body);
  EXPECT_EQ(all["redis"]["toxics"][0]["name"], "slow");
  EXPECT_EQ(all["redis"]["listening"], true);
  EXPECT_TRUE(all["redis"]["stats"].contains("bytes_downstream"));
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis").body)["upstream"], "127.0.0.1:1");
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis/toxics/slow").body)["type"], "latency");
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis/toxics?x=1").body).size(), 1u);

  EXPECT_EQ(call("DELETE", "/proxies/redis/toxics/slow").status, 204);
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis/toxics").body).size(), 0u);

  call("POST", "/proxies/redis/toxics", R"({"type":"timeout"})");
  call("POST", "/proxies/redis/toxics", R"({"type":"slow_close","attributes":{"delay":5}})");
  EXPECT_EQ(call("DELETE", "/proxies/redis/toxics").status, 204);
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis/toxics").body).size(), 0u);

  call("POST", "/proxies/redis/toxics", R"({"type":"timeout"})");
  EXPECT_EQ(call("POST", "/reset").status, 204);
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis/toxics").body).size(), 0u);
}

TEST_F(ApiHandlerTest, DownStopsListeningAndClearListensAgain) {
  ASSERT_EQ(call("POST", "/proxies/redis/toxics", R"({"type":"down"})").status, 201);
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis").body)["listening"], false);
  call("DELETE", "/proxies/redis/toxics/down_downstream");
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis").body)["listening"], true);
  // Below toxicity 1 the proxy keeps listening and refuses per connection.
  call("POST", "/proxies/redis/toxics", R"({"type":"down","toxicity":0.5})");
  EXPECT_EQ(json::parse(call("GET", "/proxies/redis").body)["listening"], true);
}

TEST_F(ApiHandlerTest, BadInputGets4xxJson) {
  expect_error(call("POST", "/proxies/redis/toxics", "{not json"), 400, "bad_json");
  expect_error(call("POST", "/proxies/redis/toxics", ""), 400, "bad_json");
  expect_error(call("POST", "/proxies/redis/toxics", "[1,2]"), 400, "invalid_toxic");
  expect_error(call("POST", "/proxies/redis/toxics", R"({"type":"lag"})"), 400, "invalid_toxic");
  expect_error(call("POST", "/proxies/redis/toxics", R"({"type":"latency","toxicity":7})"), 400, "invalid_toxic");
  expect_error(call("POST", "/proxies/redis/toxics", R"({"type":"bandwidth"})"), 400, "invalid_toxic");
  expect_error(call("POST", "/proxies/redis/toxics", "\xff\xfe"), 400, "bad_json");
  ASSERT_EQ(call("POST", "/proxies/redis/toxics", R"({"type":"latency"})").status, 201);
  expect_error(call("POST", "/proxies/redis/toxics", R"({"type":"latency"})"), 409, "toxic_exists");
  expect_error(call("GET", "/proxies/mysql"), 404, "not_found");
  expect_error(call("POST", "/proxies/mysql/toxics", R"({"type":"latency"})"), 404, "not_found");
  expect_error(call("GET", "/proxies/redis/toxics/nope"), 404, "not_found");
  expect_error(call("DELETE", "/proxies/redis/toxics/nope"), 404, "not_found");
  expect_error(call("GET", "/nowhere"), 404, "not_found");
  expect_error(call("GET", "/proxies/redis/other"), 404, "not_found");
  expect_error(call("GET", "/proxies/redis/toxics/a/b"), 404, "not_found");
  expect_error(call("PUT", "/proxies/redis/toxics"), 405, "method_not_allowed");
  expect_error(call("DELETE", "/proxies"), 405, "method_not_allowed");
  expect_error(call("GET", "/reset"), 405, "method_not_allowed");
  expect_error(call("POST", "/metrics"), 405, "method_not_allowed");
}

TEST_F(ApiHandlerTest, MetricsAndHealth) {
  call("POST", "/proxies/redis/toxics", R"({"type":"latency"})");
  const auto metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u);
  for (const char* name : {"scalelab_faultproxy_bytes_total{direction=\"upstream\",proxy=\"redis\"}",
                           "scalelab_faultproxy_connections_accepted_total", "scalelab_faultproxy_connections_active",
                           "scalelab_faultproxy_resets_total", "scalelab_faultproxy_connections_refused_total",
                           "scalelab_faultproxy_toxics_active{proxy=\"redis\",type=\"latency\"} 1"})
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  EXPECT_EQ(json::parse(call("GET", "/healthz").body)["status"], "ok");
}
