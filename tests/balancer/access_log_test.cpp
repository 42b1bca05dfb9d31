// Unit tests: access-log lines are valid JSON with the contract's fields, whatever the
// request contained; and the balancer's own error answers have the project's shape.
#include "balancer/access_log.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "balancer/error_response.hpp"

using namespace scalelab::balancer;

namespace {
// What `write_lines` writes to a file descriptor (a pipe; the few lines fit its buffer).
template <class Writer>
std::string captured(Writer write_lines) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  write_lines(fds[1]);
  ::close(fds[1]);
  std::string out(8192, '\0');
  out.resize(static_cast<std::size_t>(std::max<ssize_t>(0, ::read(fds[0], out.data(), out.size()))));
  ::close(fds[0]);
  return out;
}
}  // namespace

TEST(AccessLog, OneValidJsonLinePerRecord) {
  const std::string out = captured([](int fd) {
    AccessLog log("balancer", "lb-1", true, fd);
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
  });  // the destructor flushes
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

// The exact bytes of a line (the timestamp's shape checked apart), so that rewriting
// the formatter for speed cannot change what log readers get.
TEST(AccessLog, ExactLineShape) {
  const std::string out = captured([](int fd) {
    AccessLog log("balancer", "lb-\"1", true, fd);
    AccessRecord r;
    r.method = "GET";
    r.target = "/a\"b\\c\x01\xff/\x7f";
    r.status = 200;
    r.backend = "app-1";
    r.attempts = 2;
    r.duration_ms = 1.2504;
    r.bytes_in = 12345678901234ull;
    r.bytes_out = 7;
    r.client = "127.0.0.1";
    r.request_id = "rid";
    r.retry_reason = "connect_refused";
    log.write(r);
    log.flush();
    AccessLog plain("balancer", "", true, fd);
    AccessRecord q;
    q.method = "POST";
    q.target = "/";
    q.status = 503;
    q.duration_ms = 1234.0006;
    q.client = "::1";
    q.request_id = "x";
    q.error = "no_backends";
    plain.write(q);
  });
  const std::string ts_shape = "{\"ts\":\"YYYY-MM-DDTHH:MM:SS.mmmZ\"";
  const auto mask_ts = [&](std::string line) {
    EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u);
    for (std::size_t i = 7; i < ts_shape.size() - 2; ++i) {
      const char want = ts_shape[i];
      EXPECT_TRUE(std::string("-T:.Z").find(want) != std::string::npos ? line[i] == want : std::isdigit(line[i]))
          << line;
    }
    return line.substr(ts_shape.size());
  };
  const auto nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(mask_ts(out.substr(0, nl)),
            ",\"level\":\"info\",\"component\":\"balancer\",\"instance\":\"lb-\\\"1\",\"msg\":\"access\",\"method\":\"GET\","
            "\"target\":\"/a\\\"b\\\\c\\u0001\\ufffd/\\u007f\",\"status\":200,\"backend\":\"app-1\",\"attempts\":2,"
            "\"duration_ms\":1.250,\"bytes_in\":12345678901234,\"bytes_out\":7,\"client\":\"127.0.0.1\","
            "\"request_id\":\"rid\",\"retry_reason\":\"connect_refused\"}");
  EXPECT_EQ(mask_ts(out.substr(nl + 1, out.find('\n', nl + 1) - nl - 1)),
            ",\"level\":\"info\",\"component\":\"balancer\",\"msg\":\"access\",\"method\":\"POST\",\"target\":\"/\","
            "\"status\":503,\"backend\":null,\"attempts\":0,\"duration_ms\":1234.001,\"bytes_in\":0,\"bytes_out\":0,"
            "\"client\":\"::1\",\"request_id\":\"x\",\"error\":\"no_backends\"}");
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
