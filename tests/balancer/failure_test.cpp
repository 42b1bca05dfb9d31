// Integration tests: backends that die, drain, hang or misbehave under load, and the
// retry rules seen from outside.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "tests/balancer/harness.hpp"
#include "tests/support/raw_server.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {

// Clients that GET `path` in a loop until stopped, counting what they saw.
struct Load {
  Load(const Balancer& lb, int clients, std::string path) {
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([this, &lb, path] {
        auto cli = lb.client();
        while (!stop) {
          auto r = cli.Get(path.c_str());
          if (r && r->status == 200) {
            ++ok;
          } else {
            ++failed;
            std::lock_guard lock(mu);
            errors.push_back(r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error()));
          }
        }
      });
    }
  }
  ~Load() { finish(); }
  void finish() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
};

std::string first_errors(Load& load) {
  std::lock_guard lock(load.mu);
  std::string out;
  for (std::size_t i = 0; i < load.errors.size() && i < 5; ++i) out += load.errors[i] + "\n";
  return out;
}

// GET /echo answered 200 by backend "a" within `limit`: a per-try timeout's retry,
// not the response timeout, when the first try went to a backend that never answers.
void expect_answered_by_a_within(httplib::Client& cli, std::chrono::milliseconds limit) {
  const auto started = std::chrono::steady_clock::now();
  auto r = cli.Get("/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("X-Instance"), "a");
  EXPECT_LT(std::chrono::steady_clock::now() - started, limit);
}

// A backend that reads the request, sends the first half of a response header, and
// then stalls until the balancer hangs up (at most 5 s) or resets the connection.
enum class AfterHalfAHeader { stall, reset };
std::unique_ptr<testkit::RawServer> half_header_backend(AfterHalfAHeader then) {
  return std::make_unique<testkit::RawServer>([then](int fd) {
    char request[4096];
    (void)::recv(fd, request, sizeof request, 0);
    const std::string half = "HTTP/1.1 200 OK\r\nContent-Type: text/pl";
    (void)::send(fd, half.data(), half.size(), MSG_NOSIGNAL);
    if (then == AfterHalfAHeader::stall) {
      pollfd closed{fd, POLLIN, 0};
      (void)::poll(&closed, 1, 5000);
    } else {
      linger abort{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    ::close(fd);
  });
}

// A backend whose first answer over-runs its framing: 5 bytes declared, then a
// second response nobody asked for, in the same write. Every later request, on that
// connection or another, is answered honestly; a connection stays open until the
// balancer hangs up (at most 5 s).
std::unique_ptr<testkit::RawServer> overrunning_backend() {
  auto overran = std::make_shared<bool>(false);
  return std::make_unique<testkit::RawServer>([overran](int fd) {
    char request[4096];
    for (;;) {
      pollfd readable{fd, POLLIN, 0};
      if (::poll(&readable, 1, 5000) <= 0 || ::recv(fd, request, sizeof request, 0) <= 0) break;
      const bool first = !*overran;
      *overran = true;
      const std::string answer =
          first ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                  "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nSet-Cookie: sid=attacker\r\n\r\nPOISONED"
                : "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhonest";
      (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  });
}

}  // namespace

TEST(Failure, AConnectionWhoseResponseOverranItsFramingIsClosedAndCounted) {
  auto backend = overrunning_backend();
  Balancer lb({"--backend=x=127.0.0.1:" + std::to_string(backend->port()), "--health-interval-ms=0", "--threads=1"});
  auto client = lb.client();
  auto first = client.Get("/first");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "hello");
  for (int i = 0; i < 5; ++i) {
    auto next = lb.client().Get("/next");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "honest") << "request " << i << " got the over-run bytes of another";
    EXPECT_FALSE(next->has_header("Set-Cookie"));
  }
  // Closed at once (bytes past the end were read) or at its next reuse (they came later).
  EXPECT_EQ(lb.metric("balancer_upstream_connections_closed_total{backend=\"x\",reason=\"overran_framing\"}") +
                lb.metric("balancer_upstream_connections_closed_total{backend=\"x\",reason=\"idle_data\"}"),
            1);
}

TEST(Failure, SigkillOneOfThreeUnderLoadEveryGetSucceeds) {
  TestBackend a("a"), b("b"), c("c");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--backend=" + c.spec(),
               "--health-interval-ms=200", "--health-timeout-ms=200"});
  Load load(lb, 4, "/echo");
  std::this_thread::sleep_for(800ms);
  b.signal(SIGKILL);
  std::this_thread::sleep_for(1500ms);
  load.finish();
  EXPECT_EQ(load.failed, 0) << first_errors(load);
  EXPECT_GT(load.ok, 100);
  const auto dead = lb.backend("b").value();
  EXPECT_TRUE(dead["ejected"] == true || dead["healthy"] == false) << dead.dump();
}

// A backend killed with every connection it may have busy: all its requests fail at
// once, and all are GETs that may go elsewhere. The retry budget's share of in-flight
// requests (0.2 x 24) would refuse half of them; its floor is one backend's connection
// cap, so none is refused (the compose smoke's 20 users against 24 connections per
// replica hit exactly this).
TEST(Failure, SigkillOfABackendWithEveryConnectionBusyRetriesEveryGet) {
  TestBackend a("a"), b("b"), c("c");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--backend=" + c.spec(),
               "--health-interval-ms=200", "--health-timeout-ms=200", "--max-conns-per-backend=8",
               "--retry-budget-min=0", "--eject-consecutive-5xx=0"});
  Load load(lb, 24, "/slow?ms=200");
  ASSERT_TRUE(eventually([&] { return lb.backend("b").value()["in_flight"] == 8; }, 3s))
      << lb.backend("b").value().dump();
  b.signal(SIGKILL);
  std::this_thread::sleep_for(800ms);
  load.finish();
  EXPECT_EQ(load.failed, 0) << first_errors(load);
  EXPECT_EQ(lb.metric("balancer_retry_budget_exhausted_total"), 0);
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"empty_response\"}") +
                lb.metric("balancer_retries_total{reason=\"reset_before_response\"}"),
            8);
}

TEST(Failure, DrainUnderLoadNothingFails) {
  TestBackend a("a"), b("b"), c("c");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--backend=" + c.spec(), "--health-interval-ms=200"});
  Load load(lb, 6, "/slow?ms=20");
  std::this_thread::sleep_for(700ms);
  auto admin = lb.admin_client();
  ASSERT_EQ(admin.Delete("/admin/backends/b")->status, 202);
  ASSERT_TRUE(eventually([&] { return !lb.backend("b").has_value(); }, 5s));
  std::this_thread::sleep_for(300ms);
  load.finish();
  EXPECT_EQ(load.failed, 0) << first_errors(load);
  EXPECT_GT(load.ok, 50);
}

TEST(Failure, HungBackendIsEjectedByTimeout) {
  TestBackend a("a"), b("b"), c("c");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--backend=" + c.spec(),
               "--health-interval-ms=150", "--health-timeout-ms=200", "--health-fall=2",
               "--response-timeout-ms=700"});
  ASSERT_TRUE(eventually([&] { return lb.backend("b").value()["healthy"] == true; }));
  b.signal(SIGSTOP);
  ASSERT_TRUE(eventually([&] { return lb.backend("b").value()["healthy"] == false; }, 5s));
  auto cli = lb.client();
  for (int i = 0; i < 20; ++i) {
    auto r = cli.Get("/echo");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->get_header_value("X-Instance"), "b");
  }
  b.signal(SIGCONT);
}

TEST(Failure, ResponseTimeoutIs504AndCountsTowardsEjection) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0", "--response-timeout-ms=300",
               "--eject-consecutive-5xx=2"});
  auto cli = lb.client();
  for (int i = 0; i < 2; ++i) {
    auto r = cli.Get("/slow?ms=1500");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 504);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "upstream_timeout");
  }
  EXPECT_GE(lb.backend("a").value()["ejections"].get<int>(), 1);
}

TEST(Failure, TryTimeoutRetriesAGetOnAFrozenBackendButNeverAPost) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--health-interval-ms=0", "--try-timeout-ms=300",
               "--response-timeout-ms=1500", "--eject-consecutive-5xx=0"});
  b.signal(SIGSTOP);
  auto cli = lb.client();
  // Round robin: two of them go to the frozen b first.
  for (int i = 0; i < 4; ++i) expect_answered_by_a_within(cli, 1200ms);
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"try_timeout\"}"), 2);
  // A POST cannot be sent twice: the one that reaches b waits for the response timeout.
  bool timed_out = false;
  for (int i = 0; i < 3 && !timed_out; ++i) {  // round robin reaches b within two
    const auto started = std::chrono::steady_clock::now();
    auto r = cli.Post("/echo", "payload", "text/plain");
    ASSERT_TRUE(r);
    if (r->status == 504) {
      timed_out = true;
      EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "upstream_timeout");
      EXPECT_GE(std::chrono::steady_clock::now() - started, 1400ms);
    } else {
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->get_header_value("X-Instance"), "a");
    }
  }
  EXPECT_TRUE(timed_out);
  b.signal(SIGCONT);
}

// A backend that starts its header and then stalls has sent the client nothing: the
// proxy forwards a response only once its header is whole. So a GET is retried as if
// the backend had said nothing at all.
TEST(Failure, TryTimeoutRetriesAGetWhoseBackendStalledHalfwayThroughItsHeader) {
  TestBackend a("a");
  const auto stalls = half_header_backend(AfterHalfAHeader::stall);
  Balancer lb({"--backend=" + a.spec(), "--backend=stall=127.0.0.1:" + std::to_string(stalls->port()),
               "--health-interval-ms=0", "--try-timeout-ms=300", "--response-timeout-ms=3000",
               "--eject-consecutive-5xx=0"});
  auto cli = lb.client();
  // Round robin: one of them goes to the stalling backend first.
  for (int i = 0; i < 2; ++i) expect_answered_by_a_within(cli, 1500ms);
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"try_timeout\"}"), 1);
}

// The same for a reset halfway through the header (nginx's proxy_next_upstream error
// does so too); a POST is not retried, since its backend may have acted on it.
TEST(Failure, AGetWhoseBackendResetHalfwayThroughItsHeaderIsRetriedButNotAPost) {
  TestBackend a("a");
  const auto resets = half_header_backend(AfterHalfAHeader::reset);
  Balancer lb({"--backend=" + a.spec(), "--backend=reset=127.0.0.1:" + std::to_string(resets->port()),
               "--health-interval-ms=0", "--eject-consecutive-5xx=0"});
  auto cli = lb.client();
  for (int i = 0; i < 2; ++i) expect_answered_by_a_within(cli, 1500ms);
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"reset_mid_header\"}"), 1);
  bool refused = false;
  for (int i = 0; i < 2; ++i) {  // round robin: one of the two reaches the resetting backend
    auto r = cli.Post("/echo", "payload", "text/plain");
    ASSERT_TRUE(r);
    if (r->status == 502) {
      refused = true;
      EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "upstream_reset") << r->body;
    } else {
      EXPECT_EQ(r->status, 200);
    }
  }
  EXPECT_TRUE(refused);
}

// A backend that dies after a whole response header, before its first body byte, has
// still sent the client nothing (the head goes out with the first body bytes): a GET
// is retried elsewhere, a POST answered 502, never a truncated 200.
TEST(Failure, AGetWhoseBackendDiedAfterItsHeaderBeforeItsBodyIsRetriedButNotAPost) {
  TestBackend a("a");
  testkit::RawServer dies([](int fd) {
    (void)testkit::read_request_head(fd);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(20ms);  // a separate read: the header is whole first
    ::close(fd);
  });
  Balancer lb({"--backend=" + a.spec(), "--backend=dies=127.0.0.1:" + std::to_string(dies.port()),
               "--health-interval-ms=0", "--eject-consecutive-5xx=0"});
  auto cli = lb.client();
  for (int i = 0; i < 2; ++i) expect_answered_by_a_within(cli, 1500ms);
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"truncated_response\"}"), 1);
  bool refused = false;
  for (int i = 0; i < 2; ++i) {
    auto r = cli.Post("/echo", "payload", "text/plain");
    ASSERT_TRUE(r);
    if (r->status != 502) continue;
    refused = true;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "upstream_reset") << r->body;
  }
  EXPECT_TRUE(refused) << "one POST reached the dying backend and was not retried";
}

TEST(Failure, TryTimeoutCutsAGetSlowerThanItEverywhere) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--health-interval-ms=0", "--try-timeout-ms=200",
               "--retries=1", "--eject-consecutive-5xx=0"});
  auto cli = lb.client();
  auto r = cli.Get("/slow?ms=1000");  // slower than the try timeout on every backend
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  const auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["error"], "upstream_timeout");
  EXPECT_NE(body["detail"].get<std::string>().find("try_timeout"), std::string::npos) << body.dump();
  EXPECT_EQ(lb.metric("balancer_retries_total{reason=\"try_timeout\"}"), 1);
}

TEST(Failure, ConnectFailuresAreRetriedEvenForPost) {
  TestBackend a("a");
  const std::uint16_t nobody = net::free_port();  // nothing listens there
  Balancer lb({"--backend=" + a.spec(), "--backend=dead=127.0.0.1:" + std::to_string(nobody),
               "--health-interval-ms=0"});
  auto cli = lb.client();
  for (int i = 0; i < 6; ++i) {
    auto r = cli.Post("/echo", "payload", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(nlohmann::json::parse(r->body)["body"], "payload");
  }
  EXPECT_GE(lb.metric("balancer_retries_total{reason=\"connect_refused\"}"), 1);
  EXPECT_EQ(lb.backend("dead").value()["ejected"], true);
}

TEST(Failure, ServerErrorsPassThroughAndEject) {
  TestBackend a("a"), b("b");
  Balancer lb({"--backend=" + a.spec(), "--backend=" + b.spec(), "--health-interval-ms=0",
               "--eject-consecutive-5xx=3", "--ejection-time-ms=5000"});
  auto cli = lb.client();
  for (int i = 0; i < 6; ++i) {
    auto r = cli.Get("/status/500");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);  // the backend's own answer, not replaced
  }
  EXPECT_EQ(lb.backend("a").value()["ejections"], 1);
  EXPECT_EQ(lb.backend("b").value()["ejections"], 1);
  // Both ejected: panic mode keeps serving rather than refusing everything.
  auto r = cli.Get("/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lb.backends()["panic"], true);
  EXPECT_EQ(lb.metric("balancer_ejections_total{backend=\"a\",reason=\"consecutive_5xx\"}"), 1);
}
