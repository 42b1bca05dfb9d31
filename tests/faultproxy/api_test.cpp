// The control API over real HTTP: malformed requests and oversize bodies get 4xx JSON,
// and the C++ client turns API errors into typed exceptions.
#include <gtest/gtest.h>

#include "common/net.hpp"
#include "tests/faultproxy/harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

class Api : public ::testing::Test {
 protected:
  InProcessProxy proxy{1};  // the upstream does not matter here

  // Sends raw bytes to the API; returns the whole response.
  std::string raw(const std::string& request) {
    RawSocket s(proxy.api_port());
    EXPECT_TRUE(s.connected());
    s.send(request);
    return s.read(1 << 20, 2s).data;
  }
  static int status_of(const std::string& response) {
    return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
  }
  static json body_of(const std::string& response) {
    const auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? json() : json::parse(response.substr(at + 4), nullptr, false);
  }
};

int status_of_call(const std::function<void()>& f) {
  try {
    f();
  } catch (const faultproxy::ClientError& e) {
    return e.status();
  }
  return 200;
}

}  // namespace

TEST_F(Api, MalformedHttpGets400Json) {
  const std::string r = raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_EQ(body_of(r)["error"], "bad_request") << r;
}

TEST_F(Api, OversizeBodyGets413) {
  const std::string body(100'000, 'x');
  const std::string r = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(status_of(r), 413) << r.substr(0, 200);
  EXPECT_EQ(body_of(r)["error"], "too_large");
}

TEST_F(Api, OversizeHeadersGet431) {
  const std::string r = raw("GET /proxies HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10'000, 'h') + "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
}

TEST_F(Api, BadToxicBodyOverHttpGets400Json) {
  const std::string body = R"({"type":"latency","attributes":{"latency":"slow"}})";
  const std::string r = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Content-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_EQ(body_of(r)["error"], "invalid_toxic");
  EXPECT_EQ(body_of(r)["detail"], "latency: expected a number, got \"slow\"");
}

TEST_F(Api, ClientErrorsCarryStatusAndCode) {
  auto& c = proxy.client();
  EXPECT_EQ(status_of_call([&] { c.add_toxic("redis", {{"type", "lag"}}); }), 400);
  EXPECT_EQ(status_of_call([&] { c.add_toxic("mysql", {{"type", "latency"}}); }), 404);
  EXPECT_EQ(status_of_call([&] { c.remove_toxic("redis", "nope"); }), 404);
  c.add_toxic("redis", {{"type", "latency"}});
  try {
    c.add_toxic("redis", {{"type", "latency"}});
    FAIL() << "duplicate accepted";
  } catch (const faultproxy::ClientError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_EQ(e.error(), "toxic_exists");
  }
  EXPECT_TRUE(c.healthy());
  EXPECT_EQ(c.toxics("redis").size(), 1u);
  EXPECT_EQ(c.proxies().size(), 1u);
}

TEST_F(Api, ClientReportsAnUnreachableProxy) {
  faultproxy::Client c("127.0.0.1", net::free_port(), 500ms);
  EXPECT_FALSE(c.healthy());
  try {
    c.proxies();
    FAIL();
  } catch (const faultproxy::ClientError& e) {
    EXPECT_EQ(e.status(), 0);
    EXPECT_EQ(e.error(), "unreachable");
  }
}
