// The request gate in front of the real scalelab-app (common/gated_server.hpp), on the
// wire: each bound holds and is answered at once, a request without framing has an
// empty body, Range that is not a byte range-set is ignored, and a second instance
// cannot take a port that is in use.
#include <fstream>
#include <thread>

#include "common/net.hpp"
#include "common/process.hpp"
#include "tests/app/app_test_util.hpp"
#include "tests/support/proc_stats.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::string chunked_upload_head(const std::string& cookie) {
  return "POST /api/uploads HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
         "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
}

}  // namespace

class Gate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new AppCluster(1); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static std::uint16_t port() { return cluster_->app(0).port; }
  static pid_t pid() { return cluster_->app(0).process.pid(); }
  static AppCluster* cluster_;
};
AppCluster* Gate::cluster_ = nullptr;

TEST_F(Gate, AnEndlessChunkLineIs400AtOnceAndMemoryStaysFlat) {
  auto c = cluster_->client(0);
  const auto user = login(*c, "flooder");
  const long rss_before = rss_kib(pid()), peak_before = peak_rss_kib(pid());
  const FloodResult flood = flood_line(port(), chunked_upload_head(user.begin()->second), 200u << 20);
  const long rss_after = rss_kib(pid()), peak_after = peak_rss_kib(pid());
  std::cout << "200 MiB chunk line: answered after " << flood.answered_after.count() << " ms, " << flood.sent
            << " bytes taken; app VmRSS " << rss_before << " -> " << rss_after << " KiB, VmHWM " << peak_before << " -> "
            << peak_after << " KiB\n";
  EXPECT_EQ(status_of(flood.answer), 400) << flood.answer.substr(0, 300);
  EXPECT_NE(flood.answer.find("\"error\":\"chunk_line_too_long\""), std::string::npos) << flood.answer;
  EXPECT_GE(flood.answered_after.count(), 0) << "no answer";
  EXPECT_LT(flood.answered_after, 2s);
  // The gate holds 16 KiB of it; the peak may not grow by more than 8 MiB.
  EXPECT_LT(peak_after - peak_before, 8 * 1024) << "VmHWM grew by " << peak_after - peak_before << " KiB";
  EXPECT_EQ(c->Get("/healthz")->status, 200);
  const std::string metrics = c->Get("/metrics")->body;
  EXPECT_GE(metric_value(metrics, "app_http_rejected_total{reason=\"chunk_line_too_long\"}"), 1) << metrics;
}

TEST_F(Gate, AnLfOnlyChunkLineIs400AtOnce) {
  auto c = cluster_->client(0);
  const auto user = login(*c, "lf");
  RawConnection raw(port());
  ASSERT_TRUE(raw.send(chunked_upload_head(user.begin()->second) + "5\nhello\n"));
  ASSERT_TRUE(raw.readable_within(1000)) << "no answer within 1 s";
  const std::string answer = raw.read_answer();
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_NE(answer.find("bare LF"), std::string::npos) << answer;
  EXPECT_NE(answer.find("X-Instance: app-1\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("X-Request-Id: "), std::string::npos) << answer;
}

TEST_F(Gate, APostWithoutFramingIsAnsweredAtOnce) {
  // What `curl -X POST .../api/logout` sends: RFC 9112 §6.3 gives it an empty body.
  RawConnection raw(port());
  const auto t0 = Clock::now();
  ASSERT_TRUE(raw.send("POST /api/logout HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(raw.readable_within(1000)) << "no answer within 1 s";
  const std::string answer = raw.read_answer();
  EXPECT_LT(Clock::now() - t0, 1500ms);
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("\"logged_out\":false"), std::string::npos) << answer;
}

TEST_F(Gate, EightyFramingLessPostsLeaveRoomForEveryoneElse) {
  // 80 clients (more than the 32 workers) post without framing, read their answer and
  // leave, as curl does; meanwhile ordinary requests go on.
  std::atomic<int> answered{0};
  std::vector<std::thread> posters;
  const auto t0 = Clock::now();
  for (int i = 0; i < 80; ++i)
    posters.emplace_back([&] {
      RawConnection raw(port());
      if (!raw.send("POST /api/logout HTTP/1.1\r\nHost: x\r\n\r\n") || !raw.readable_within(3000)) return;
      answered += status_of(raw.read_answer()) == 200;
    });
  auto c = cluster_->client(0);
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = c->Get("/healthz");
    ok += r && r->status == 200;
  }
  for (auto& t : posters) t.join();
  EXPECT_EQ(ok, 20) << "ordinary requests failed while the posts were served";
  EXPECT_EQ(answered, 80);
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST_F(Gate, ALongRequestLineIs414BeforeItEnds) {
  RawConnection raw(port());
  ASSERT_TRUE(raw.send("GET /" + std::string(20 * 1024, 'a')));  // and no end of line, yet
  ASSERT_TRUE(raw.readable_within(1000)) << "no answer within 1 s";
  const std::string answer = raw.read_answer();
  EXPECT_EQ(status_of(answer), 414) << answer;
  EXPECT_NE(answer.find("\"error\":\"uri_too_long\""), std::string::npos) << answer;
}

TEST_F(Gate, AHeaderBlockOverTheLimitIs431) {
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1000; ++i) request += "X-Pad-" + std::to_string(i) + ": 0123456789\r\n";  // about 24 KiB
  const std::string answer = raw_exchange(port(), request + "\r\n");
  EXPECT_EQ(status_of(answer), 431) << answer.substr(0, 300);
  EXPECT_NE(answer.find("\"error\":\"header_too_large\""), std::string::npos) << answer;
  // SCALELAB_MAX_HEADER_BYTES moves the limit.
  AppInstance& small = cluster_->add_instance({{"SCALELAB_MAX_HEADER_BYTES", "1024"}});
  const std::string pad = "X-Pad: " + std::string(1100, 'p') + "\r\n";
  EXPECT_EQ(status_of(raw_exchange(small.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad + "\r\n")), 431);
  EXPECT_EQ(status_of(raw_exchange(small.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST_F(Gate, AGarbageRangeIsIgnoredOnJsonRoutes) {
  auto c = cluster_->client(0);
  auto user = login(*c, "ranger");
  for (const char* range : {"bytes=z", "items=0-5", "bytes=9-1"}) {
    auto headers = user;
    headers.emplace("Range", range);
    auto r = c->Get("/api/me", headers);
    ASSERT_TRUE(r) << range;
    EXPECT_EQ(r->status, 200) << range << ": " << r->body;
    EXPECT_EQ(body(r)["user"], "ranger") << range;
  }
}

TEST_F(Gate, AnUnreadBodyDoesNotBecomeTheNextRequest) {
  // cpp-httplib does not read a GET's body; the gate drops it before the next request.
  const std::string answer = raw_exchange(port(),
                                          "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                                          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(answer), 200) << answer;
  const auto second = answer.find("HTTP/1.1", 1);
  ASSERT_NE(second, std::string::npos) << answer;
  EXPECT_EQ(status_of(answer.substr(second)), 200) << answer;
}

TEST_F(Gate, AHalfClosedClientGetsItsAnswer) {
  const std::string answer = raw_exchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", /*half_close=*/true);
  EXPECT_EQ(status_of(answer), 200) << answer;
}

TEST_F(Gate, ASecondInstanceOnAPortInUseExitsOne) {
  // The same service port as app-1, an admin address of its own.
  process::Process second = process::Process::spawn(cluster_->spawn_options(
      "app-dup", {{"SCALELAB_LISTEN", "127.0.0.1:" + std::to_string(port())},
                  {"SCALELAB_ADMIN_LISTEN", "127.0.0.1:" + std::to_string(net::free_port())}}));
  const auto status = second.wait_for(10s);
  ASSERT_TRUE(status) << "a second scalelab-app started on a port in use";
  EXPECT_FALSE(status->signaled);
  EXPECT_EQ(status->code, 1);
  std::ifstream log(cluster_->dir() / "app-dup.log");
  std::string line, last;
  while (std::getline(log, line)) last = line;
  EXPECT_EQ(last, "scalelab-app: cannot listen on 127.0.0.1:" + std::to_string(port()) + ": Address already in use");
  auto r = cluster_->client(0)->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("X-Instance"), "app-1");
}
