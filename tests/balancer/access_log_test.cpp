// Unit tests: access-log lines are valid JSON with the contract's fields, whatever the
// request contained; and the balancer's own error answers have the project's shape.
#include "balancer/access_log.hpp"

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "balancer/error_response.hpp"

using namespace scalelab::balancer;

TEST(AccessLog, OneValidJsonLinePerRecord) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    AccessLog log("balancer", "lb-1", true, fds[1]);
    AccessRecord r;
    r.method = "GET";
    r.target = "/a\"b\\c\x01\xff";
    r.status = 200;
    r.backend = "app-1";
    r.attempts = 2;
    r.duration_ms = 1.25;
    r.client = "127.0.0.1";
    r.request_id = "rid";
    r.retry_reason = "connect_refused";
    log.write(r);
    r.backend = "";
    r.error = "no_backends";
    r.status = 503;
    log.write(r);
  }  // flushes
  ::close(fds[1]);
  std::string out(8192, '\0');
  out.resize(static_cast<std::size_t>(::read(fds[0], out.data(), out.size())));
  ::close(fds[0]);
  const auto nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const auto first = nlohmann::json::parse(out.substr(0, nl));
  EXPECT_EQ(first["msg"], "access");
  EXPECT_EQ(first["component"], "balancer");
  EXPECT_EQ(first["instance"], "lb-1");
  EXPECT_EQ(first["backend"], "app-1");
  EXPECT_EQ(first["attempts"], 2);
  EXPECT_EQ(first["status"], 200);
  EXPECT_DOUBLE_EQ(first["duration_ms"].get<double>(), 1.25);
  EXPECT_EQ(first["retry_reason"], "connect_refused");
  EXPECT_TRUE(first.contains("ts"));
  const auto second = nlohmann::json::parse(out.substr(nl + 1, out.find('\n', nl + 1) - nl - 1));
  EXPECT_TRUE(second["backend"].is_null());
  EXPECT_EQ(second["error"], "no_backends");
}

TEST(ErrorResponse, JsonBodyAndHeaders) {
  const std::string r = render_error({503, "no_backends", "no backend is available"}, false, "rid-1");
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("Retry-After: 1\r\n"), std::string::npos);
  EXPECT_NE(r.find("X-Request-Id: rid-1\r\n"), std::string::npos);
  const auto body = nlohmann::json::parse(r.substr(r.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["error"], "no_backends");
  EXPECT_EQ(body["detail"], "no backend is available");
  const std::string head = render_error({404, "x", "y"}, true, "", true);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // HEAD: headers only
}
