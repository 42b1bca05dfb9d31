// Integration tests: proxying through a real scalelab-balancer to real test backends
// (rotation, forwarded headers, HEAD, 100-continue, sticky, least_conn, pool cap,
// local error answers, exit codes, graceful SIGTERM).
#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> with_backends(std::vector<std::string> flags, const std::vector<TestBackend*>& backends) {
  for (auto* b : backends) flags.push_back("--backend=" + b->spec());
  return flags;
}
std::string instance(const httplib::Result& r) { return r ? r->get_header_value("X-Instance") : "<none>"; }
}  // namespace

TEST(Proxy, RoundRobinRotatesAndCountsPerBackend) {
  TestBackend a("a"), b("b"), c("c");
  Balancer lb(with_backends({"--health-interval-ms=200"}, {&a, &b, &c}));
  ASSERT_TRUE(eventually([&] {
    const auto all = lb.backends();  // a named copy: range-for over a temporary's member dangles
    for (const auto& be : all["backends"])
      if (be["healthy"] != true) return false;
    return true;
  }));
  auto cli = lb.client();
  std::string order;
  for (int i = 0; i < 30; ++i) {
    auto r = cli.Get("/echo");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    order += instance(r);
  }
  EXPECT_EQ(order, std::string("abc").append("abc").append("abc").append("abc").append("abc").append("abc")
                       .append("abc").append("abc").append("abc").append("abc"));
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(lb.backend(id).value()["requests_total"], 10);
    EXPECT_EQ(lb.metric(std::string("balancer_requests_total{backend=\"") + id + "\",code=\"200\"}"), 10);
  }
  // Keep-alive upstream: far fewer connections than requests.
  double opened = 0;
  for (const char* id : {"a", "b", "c"})
    opened += lb.metric(std::string("balancer_upstream_connections_opened_total{backend=\"") + id + "\"}");
  EXPECT_LE(opened, 6);
}

TEST(Proxy, ForwardsHeadersAndStripsHopByHop) {
  TestBackend a("a");
  Balancer lb(with_backends({}, {&a}));
  auto cli = lb.client();
  httplib::Headers h{{"Connection", "keep-alive, X-Secret"}, {"X-Secret", "1"},       {"Keep-Alive", "timeout=5"},
                     {"Proxy-Connection", "keep-alive"},     {"X-Forwarded-For", "10.1.1.1"}, {"X-Kept", "yes"}};
  auto r = cli.Get("/echo", h);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const auto seen = nlohmann::json::parse(r->body)["headers"];
  EXPECT_FALSE(seen.contains("x-secret"));
  EXPECT_FALSE(seen.contains("keep-alive"));
  EXPECT_FALSE(seen.contains("proxy-connection"));
  EXPECT_EQ(seen["x-kept"], "yes");
  EXPECT_EQ(seen["x-forwarded-for"], "10.1.1.1, 127.0.0.1");
  EXPECT_EQ(seen["x-forwarded-proto"], "http");
  const std::string rid = seen["x-request-id"];
  EXPECT_FALSE(rid.empty());
  EXPECT_EQ(r->get_header_value("X-Request-Id"), rid);
  auto kept = cli.Get("/echo", httplib::Headers{{"X-Request-Id", "mine-123"}});
  EXPECT_EQ(nlohmann::json::parse(kept->body)["headers"]["x-request-id"], "mine-123");
  // The access log names the backend, the attempts and the duration.
  ASSERT_TRUE(eventually([&] { return lb.access_lines().size() >= 2; }));
  const auto line = lb.access_lines().front();
  EXPECT_EQ(line["backend"], "a");
  EXPECT_EQ(line["attempts"], 1);
  EXPECT_TRUE(line.contains("duration_ms"));
  EXPECT_EQ(line["request_id"], rid);
}

TEST(Proxy, HeadAndExpectContinueAndChunkedBodies) {
  TestBackend a("a");
  Balancer lb(with_backends({}, {&a}));
  auto head = raw_exchange(lb.port(), "HEAD /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(head), 200);
  EXPECT_NE(head.find("Content-Length:"), std::string::npos);
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "");  // no body after a HEAD
  // Expect: 100-continue is answered by the balancer before the body is read.
  auto cont = raw_exchange(lb.port(),
                           "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
                           "Connection: close\r\n\r\n",
                           500ms);
  EXPECT_EQ(cont.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << cont;
  auto chunked = raw_exchange(lb.port(),
                              "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_EQ(status_of(chunked), 200) << chunked;
  EXPECT_NE(chunked.find("\"body\":\"hello world\""), std::string::npos);
  // HTTP/1.0 clients get a close-delimited answer they can read.
  auto old = raw_exchange(lb.port(), "GET /blob?bytes=10 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_of(old), 200);
  EXPECT_EQ(old.substr(old.find("\r\n\r\n") + 4), "xxxxxxxxxx");
}

TEST(Proxy, StickyPinsAndRepinsWhenThePinnedBackendGoes) {
  TestBackend a("a"), b("b");
  Balancer lb(with_backends({"--algorithm=sticky", "--health-interval-ms=0"}, {&a, &b}));
  auto cli = lb.client();
  auto first = cli.Get("/echo");
  ASSERT_TRUE(first);
  const std::string pinned = instance(first);
  EXPECT_EQ(first->get_header_value("Set-Cookie").rfind("scalelab_backend=" + pinned + ";", 0), 0u);
  const httplib::Headers cookie{{"Cookie", "scalelab_backend=" + pinned}};
  for (int i = 0; i < 5; ++i) {
    auto r = cli.Get("/echo", cookie);
    EXPECT_EQ(instance(r), pinned);
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
  auto admin = lb.admin_client();
  ASSERT_EQ(admin.Post(("/admin/backends/" + pinned + "/drain").c_str())->status, 202);
  auto moved = cli.Get("/echo", cookie);
  ASSERT_TRUE(moved);
  EXPECT_NE(instance(moved), pinned);
  EXPECT_EQ(moved->get_header_value("Set-Cookie").rfind("scalelab_backend=" + instance(moved) + ";", 0), 0u);
  EXPECT_EQ(lb.metric("balancer_affinity_broken_total"), 1);
}

TEST(Proxy, LeastConnAvoidsTheBusyBackend) {
  TestBackend a("a"), b("b");
  Balancer lb(with_backends({"--algorithm=least_conn", "--health-interval-ms=0"}, {&a, &b}));
  std::string busy;
  std::thread slow([&] {
    auto cli = lb.client();
    busy = instance(cli.Get("/slow?ms=1500"));
  });
  ASSERT_TRUE(eventually([&] {
    const auto all = lb.backends();
    for (const auto& be : all["backends"])
      if (be["in_flight"] == 1) return true;
    return false;
  }));
  std::string busy_id;
  const auto all = lb.backends();
  for (const auto& be : all["backends"])
    if (be["in_flight"] == 1) busy_id = be["id"];
  auto cli = lb.client();
  for (int i = 0; i < 6; ++i) EXPECT_NE(instance(cli.Get("/echo")), busy_id);
  slow.join();
  EXPECT_EQ(busy, busy_id);
}

TEST(Proxy, PoolCapQueuesThenAnswers503) {
  TestBackend a("a");
  Balancer lb(with_backends({"--max-conns-per-backend=1", "--queue-timeout-ms=300", "--health-interval-ms=0"}, {&a}));
  int ok = 0, busy = 0;
  std::vector<std::thread> clients;
  std::mutex mu;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {
      auto cli = lb.client();
      auto r = cli.Get("/slow?ms=1000");
      std::lock_guard lock(mu);
      if (r && r->status == 200) ++ok;
      if (r && r->status == 503 && nlohmann::json::parse(r->body)["error"] == "upstream_busy") ++busy;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(busy, 1);
  EXPECT_LE(lb.backend("a").value()["open_connections"].get<int>(), 1);
  EXPECT_EQ(lb.metric("balancer_queue_timeouts_total"), 1);
}

TEST(Proxy, LocalAnswersAreJson) {
  Balancer lb({});
  auto r = lb.client().Get("/anything");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  const auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["error"], "no_backends");
  EXPECT_TRUE(body.contains("detail"));
  EXPECT_EQ(lb.metric("balancer_requests_total{backend=\"none\",code=\"503\"}"), 1);
}

TEST(Proxy, BadFlagsExitWithCode2) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--algorithm=random"},
                                        std::vector<std::string>{"--backend=nohostport"},
                                        std::vector<std::string>{"--threads=4", "--max-conns-per-backend=2"}}) {
    process::SpawnOptions o;
    o.argv = {binary("scalelab-balancer")};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    TempDir dir("scalelab-badflag");
    o.log_path = (dir / "out.log").string();
    auto p = process::Process::spawn(o);
    auto status = p.wait_for(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 2) << args[0];
  }
}

TEST(Proxy, SigtermFinishesInFlightThenExitsZero) {
  TestBackend a("a");
  Balancer lb(with_backends({"--health-interval-ms=0"}, {&a}));
  int status = 0;
  std::thread slow([&] {
    auto cli = lb.client();
    auto r = cli.Get("/slow?ms=800");
    status = r ? r->status : -1;
  });
  ASSERT_TRUE(eventually([&] { return lb.backend("a").value()["in_flight"] == 1; }));
  lb.process().signal(SIGTERM);
  slow.join();
  EXPECT_EQ(status, 200);
  auto exit = lb.process().wait_for(5s);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->success()) << exit->describe();
}

TEST(Proxy, SeveralEventLoopsShareTheCapAndStopCleanly) {
  TestBackend a("a"), b("b");
  Balancer lb(with_backends({"--threads=2", "--max-conns-per-backend=4", "--health-interval-ms=0"}, {&a, &b}));
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      auto cli = lb.client();
      for (int j = 0; j < 40; ++j) {
        auto r = cli.Get("/slow?ms=2");
        if (r && r->status == 200) ++ok;
      }
    });
  }
  // Watch the pools while the clients run.
  int most_open = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (ok < 320 && std::chrono::steady_clock::now() < deadline) {
    for (const char* id : {"a", "b"})
      most_open = std::max(most_open, lb.backend(id).value()["open_connections"].get<int>());
    std::this_thread::sleep_for(10ms);
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 320);
  EXPECT_LE(most_open, 4);  // the cap holds across both event loops
  EXPECT_GT(lb.backend("a").value()["requests_total"].get<int>(), 100);
  EXPECT_GT(lb.backend("b").value()["requests_total"].get<int>(), 100);
  lb.process().signal(SIGTERM);
  auto exit = lb.process().wait_for(5s);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->success()) << exit->describe();
}
