// Integration tests: bad input and hostile clients get the right 4xx or a timeout and
// a close, and never stop others from being served.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"
#include "common/net.hpp"
#include "tests/support/sockets.hpp"
#include "tests/support/stalled_log.hpp"

using namespace scalelab::testkit;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& raw) {
  const auto body = raw.substr(raw.find("\r\n\r\n") + 4);
  const auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_object() ? j.value("error", "") : "";
}

}  // namespace

TEST(Hostile, SmugglingShapesAreRefusedAndTheConnectionClosed) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0"});
  const std::vector<std::pair<std::string, int>> cases = {
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
       "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd", 400},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 400},
      {"GET /echo HTTP/1.1\r\nHost: x\r\nX : y\r\n\r\n", 400},
  };
  for (const auto& [request, status] : cases) {
    const auto raw = raw_exchange(lb.port(), request, 2s);
    EXPECT_EQ(status_of(raw), status) << request << "\n--- got:\n" << raw;
    EXPECT_FALSE(error_of(raw).empty()) << raw;
    EXPECT_NE(raw.find("Connection: close"), std::string::npos);
    EXPECT_EQ(raw.find("HTTP/1.1", 5), std::string::npos) << "a smuggled second response: " << raw;
  }
  // Nothing reached the backend, and the balancer still serves.
  EXPECT_EQ(lb.backend("a").value()["requests_total"], 0);
  EXPECT_EQ(lb.client().Get("/echo")->status, 200);
}

TEST(Hostile, OversizedAndMalformedInput) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0", "--max-header-bytes=2048", "--max-body-bytes=1000"});
  auto big_header = raw_exchange(lb.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_of(big_header), 431);
  EXPECT_EQ(error_of(big_header), "header_too_large");
  auto declared = raw_exchange(lb.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
  EXPECT_EQ(status_of(declared), 413);
  std::string chunked = "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "190\r\n" + std::string(400, 'z') + "\r\n";  // 2000 bytes counted
  chunked += "0\r\n\r\n";
  auto counted = raw_exchange(lb.port(), chunked);
  EXPECT_EQ(status_of(counted), 413) << counted;
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "NOT A REQUEST\r\n\r\n")), 400);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "GET / HTTP/1.1\r\n\r\n")), 400);  // no Host
  // A well-formed version we do not speak is 505; a malformed one is 400.
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "GET / HTTP/9.9\r\nHost: x\r\n\r\n")), 505);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "GET / HTTP/2.0\r\nHost: x\r\n\r\n")), 505);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "GET / HTTP/1.x\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "GET / HTTX/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), std::string("GET / HTTP/1.1\r\nHost: x\0\r\n\r\n", 29))), 400);
  EXPECT_EQ(status_of(raw_exchange(lb.port(), "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")), 400);  // TLS hello
  EXPECT_EQ(lb.client().Get("/echo")->status, 200);
}

TEST(Hostile, HeaderTimeoutAnswers408AndCloses) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0", "--header-timeout-ms=400"});
  const auto start = std::chrono::steady_clock::now();
  auto raw = raw_exchange(lb.port(), "GET / HTTP/1.1\r\nHost: x\r\n", 3s);
  EXPECT_EQ(status_of(raw), 408);
  EXPECT_EQ(error_of(raw), "request_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Hostile, AThousandSlowlorisClientsDoNotStopOthers) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  const int slow_count = rl.rlim_cur > 2500 ? 1000 : 300;
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0", "--header-timeout-ms=1500"});
  std::vector<int> slow;
  for (int i = 0; i < slow_count; ++i) {
    const int fd = connect_loopback(lb.port(), true);
    ASSERT_GE(fd, 0) << "connection " << i;
    slow.push_back(fd);
  }
  // Each slow client sends one more byte of its header every 100 ms.
  std::atomic<bool> stop{false};
  std::thread drip([&] {
    const std::string header = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    std::size_t at = 0;
    while (!stop) {
      const char c = at < header.size() ? header[at] : 'a';
      for (int fd : slow) (void)::send(fd, &c, 1, MSG_NOSIGNAL);
      ++at;
      std::this_thread::sleep_for(100ms);
    }
  });
  // Meanwhile ordinary clients are served promptly.
  auto cli = lb.client();
  for (int i = 0; i < 50; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = cli.Get("/echo");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  }
  EXPECT_GE(lb.metric("balancer_client_connections"), slow_count);
  // The header timeout ends every slow client with a 408 and a close.
  std::this_thread::sleep_for(1700ms);
  stop = true;
  drip.join();
  int answered = 0;
  for (int fd : slow) {
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 12 && std::string(buf, 12) == "HTTP/1.1 408") ++answered;
    ::close(fd);
  }
  EXPECT_EQ(answered, slow_count);
  EXPECT_EQ(lb.client().Get("/echo")->status, 200);
}

// The access log goes to stderr. When its reader stops reading (a full pipe), a write
// would stop the event loop that made it, and with it every connection on that loop.
// Lines wait in a bounded buffer instead, and beyond it are dropped and counted. The
// same case against the app: Lifecycle.ALogReaderThatStopsReadingStopsNoRequest.
TEST(Hostile, ALogReaderThatStopsReadingStopsNoRequest) {
  TestBackend a("a");
  StalledLogReader log;
  // The balancer's stderr into the pipe, by a shell that execs it (the same process).
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0", "--threads=1", "--log-buffer-bytes=16384"},
              {"/bin/sh", "-c", "exec \"$@\" 2>" + log.path(), "sh"});
  ASSERT_TRUE(scalelab::net::wait_for_port("127.0.0.1", lb.port(), 10s));
  ASSERT_TRUE(scalelab::net::wait_for_port("127.0.0.1", lb.admin_port(), 10s));
  auto cli = lb.client();
  cli.set_read_timeout(5s);
  for (int i = 0; i < 2000; ++i) {
    auto r = cli.Get("/echo");
    ASSERT_TRUE(r && r->status == 200) << "request " << i << " with the log's reader stalled";
  }
  std::this_thread::sleep_for(300ms);  // the loop hands its buffered lines over every 100 ms
  const double dropped = lb.metric("balancer_log_lines_dropped_total");
  EXPECT_GT(dropped, 0) << "600 kB of access lines fit in a 64 KiB pipe and 16 KiB of buffer?";

  expect_sigterm_ends_with_every_line_accounted(lb.process(), log, "target", "/echo", 2000, dropped);
}
