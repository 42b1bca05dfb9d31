// The control API over real HTTP: malformed requests and oversize bodies get 4xx JSON,
// the admin rules (common/admin_guard.hpp) hold, and the C++ client turns API errors
// into typed exceptions.
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
  std::string host() const { return "127.0.0.1:" + std::to_string(proxy.api_port()); }
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
  const std::string r = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: " + host() + "\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(status_of(r), 413) << r.substr(0, 200);
  EXPECT_EQ(body_of(r)["error"], "too_large");
}

TEST_F(Api, OversizeHeadersGet431) {
  const std::string r = raw("GET /proxies HTTP/1.1\r\nHost: " + host() + "\r\nX-Big: " + std::string(10'000, 'h') + "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
}

TEST_F(Api, BadToxicBodyOverHttpGets400Json) {
  const std::string body = R"({"type":"latency","attributes":{"latency":"slow"}})";
  const std::string r = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: " + host() + "\r\nConnection: close\r\n"
                            "Content-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_EQ(body_of(r)["error"], "invalid_toxic");
  EXPECT_EQ(body_of(r)["detail"], "latency: expected a number, got \"slow\"");
}

TEST_F(Api, ARequestNamingAnotherHostGets403BeforeAnyRoute) {
  // A page whose DNS name was rebound to 127.0.0.1 reaches the port under its own name.
  for (const std::string target : {"/healthz", "/metrics", "/proxies", "/proxies/redis/toxics"}) {
    const std::string r = raw("GET " + target + " HTTP/1.1\r\nHost: rebind.example:" + std::to_string(proxy.api_port()) +
                              "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(r), 403) << target << ": " << r;
    EXPECT_EQ(body_of(r)["error"], "forbidden_host") << r;
  }
  const std::string other_port = raw("GET /proxies HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(other_port), 403) << other_port;
  const std::string by_name = raw("GET /proxies HTTP/1.1\r\nHost: localhost:" + std::to_string(proxy.api_port()) +
                                  "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(by_name), 200) << by_name;
}

TEST_F(Api, AChangeFromAnotherOriginGets403AndChangesNothing) {
  const std::string body = R"({"type":"latency","name":"slow"})";
  for (const std::string origin : {"http://attacker.example", "null"}) {
    const std::string r = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: " + host() + "\r\nOrigin: " + origin +
                              "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(status_of(r), 403) << r;
    EXPECT_EQ(body_of(r)["error"], "forbidden_origin") << r;
  }
  EXPECT_TRUE(proxy.client().toxics("redis").empty());
  // Its own origin (and reading, from anywhere) is fine.
  const std::string own = raw("POST /proxies/redis/toxics HTTP/1.1\r\nHost: " + host() + "\r\nOrigin: http://" +
                              host() + "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body);
  EXPECT_EQ(status_of(own), 201) << own;
  const std::string read = raw("GET /proxies/redis/toxics HTTP/1.1\r\nHost: " + host() +
                               "\r\nOrigin: http://attacker.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(read), 200) << read;
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
