// The concurrency models (services/app/concurrency_model.hpp) against a real instance:
// a pool of 2 workers serves 2 waiting requests at once and the rest wait in line; a
// thread per connection serves all of them at once. Read from the instance's own
// gauges while the requests wait, so no timing decides the outcome.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "tests/app/app_test_util.hpp"

using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

struct AtOnce {
  double in_flight = 0, threads = 0;
  std::string model;
};

// Sends `n` requests that each wait 1.5 s, on `n` connections, to an instance of `model`
// with 2 workers; returns the most the instance served at once, by its gauges.
AtOnce serve_at_once(const std::string& model, int n) {
  AppCluster cluster(1, {{"SCALELAB_APP_MODEL", model}, {"SCALELAB_WORKERS", "2"}, {"SCALELAB_STATE", "local"}});
  std::vector<std::thread> clients;
  for (int i = 0; i < n; ++i)
    clients.emplace_back([&] {
      auto c = cluster.client(0);
      c->set_read_timeout(10, 0);
      c->Get("/api/work?io_ms=1500");
    });
  AtOnce most;
  auto admin = cluster.admin_client(0);
  const auto until = std::chrono::steady_clock::now() + 1200ms;
  while (std::chrono::steady_clock::now() < until) {
    if (auto r = admin->Get("/metrics"); r && r->status == 200) {
      // The scrape reading it is a request in flight too (on the admin listener).
      most.in_flight = std::max(most.in_flight, metric_value(r->body, "app_requests_in_flight") - 1);
      most.threads = std::max(most.threads, metric_value(r->body, "app_connection_threads"));
      if (metric_value(r->body, "app_concurrency_model{model=\"" + model + "\"}") == 1) most.model = model;
    }
    std::this_thread::sleep_for(50ms);
  }
  for (auto& t : clients) t.join();
  return most;
}

}  // namespace

TEST(ConcurrencyModel, APoolServesAsManyAtOnceAsItHasWorkers) {
  const AtOnce pool = serve_at_once("pool", 8);
  EXPECT_EQ(pool.model, "pool");
  EXPECT_EQ(pool.in_flight, 2) << "2 workers, 8 waiting requests: 6 wait in line";
  EXPECT_EQ(pool.threads, 2);
}

TEST(ConcurrencyModel, AThreadPerConnectionServesEveryConnectionAtOnce) {
  const AtOnce threads = serve_at_once("thread-per-connection", 8);
  EXPECT_EQ(threads.model, "thread-per-connection");
  EXPECT_EQ(threads.in_flight, 8) << "SCALELAB_WORKERS does not bound this model";
  EXPECT_EQ(threads.threads, 8);
}

TEST(ConcurrencyModel, EventLoopsAndFibersParkEveryWaitingConnectionNoneInLine) {
  for (const char* model : {"event-loop", "event-loops", "fibers"}) {
    const AtOnce loop = serve_at_once(model, 8);
    EXPECT_EQ(loop.model, model);
    EXPECT_EQ(loop.in_flight, 8) << model << ": every waiting request is parked at once, none in line";
    EXPECT_EQ(loop.threads, 8) << model << ": the gauge counts a fiber per connection";
  }
}

namespace {

// When quick requests, each on a new connection and sent one after the other while a
// CPU-bound request burns on the instance, finish, against when the burn does.
struct Stalled {
  std::chrono::steady_clock::time_point burn_done;
  std::vector<std::chrono::steady_clock::time_point> quick_done;
};

Stalled quick_behind_a_burn(const std::string& model, int quick_connections = 1) {
  AppCluster cluster(1, {{"SCALELAB_APP_MODEL", model}, {"SCALELAB_LOOPS", "2"}, {"SCALELAB_STATE", "local"}});
  Stalled at;
  std::thread burn([&] {
    auto c = cluster.client(0);
    c->set_read_timeout(30, 0);
    auto r = c->Get("/api/work?cpu_ms=1500");
    EXPECT_TRUE(r && r->status == 200);
    at.burn_done = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(300ms);  // the burn has begun
  for (int i = 0; i < quick_connections; ++i) {
    auto c = cluster.client(0);
    c->set_read_timeout(30, 0);
    auto r = c->Get("/api/work?io_ms=1");
    EXPECT_TRUE(r && r->status == 200);
    at.quick_done.push_back(std::chrono::steady_clock::now());
  }
  burn.join();
  return at;
}

}  // namespace

TEST(ConcurrencyModel, OneCpuBoundRequestHoldsUpItsWholeLoopButNotTheOtherLoops) {
  // One loop: the quick request waits for the burn to end, whatever its own size.
  const Stalled one = quick_behind_a_burn("event-loop");
  EXPECT_GE(one.quick_done[0], one.burn_done - 100ms) << "the burn held the only loop";
  // Two loops: the second connection goes to the other loop, which is free.
  const Stalled two = quick_behind_a_burn("event-loops");
  EXPECT_LT(two.quick_done[0], two.burn_done - 500ms) << "the other loop served it meanwhile";
}

// Where a loop per core and M:N part ways. Two loops deal connections in turn, so of
// two new connections one lands on the burning loop and waits out the burn, though the
// other core is free. On one loop run by two threads (fibers), whichever thread is
// free serves both.
TEST(ConcurrencyModel, FibersServeOnAFreeThreadWhereALoopPerCoreLeavesAConnectionBehindTheBurn) {
  const Stalled loops = quick_behind_a_burn("event-loops", 2);
  EXPECT_LT(loops.quick_done[0], loops.burn_done - 500ms) << "the first went to the free loop";
  EXPECT_GE(loops.quick_done[1], loops.burn_done - 100ms) << "the second was dealt to the burning loop";
  const Stalled fibers = quick_behind_a_burn("fibers", 2);
  for (const auto& done : fibers.quick_done) EXPECT_LT(done, fibers.burn_done - 500ms) << "the free thread served it";
}

// A dying dependency on one event loop. While Redis is frozen, the requests that need it
// park (and answer 503 at the Redis timeout) and the loop serves everything else; when
// Redis is killed and restarted under concurrent requests, one fiber reconnects while
// the others wait for it, and every request recovers. A fiber that parked holding the
// client's lock would stall the loop instead, and these requests would hang.
TEST(ConcurrencyModel, OneEventLoopStaysResponsiveWhileRedisIsFrozenAndRecoversFromItsRestart) {
  AppCluster cluster(1, {{"SCALELAB_APP_MODEL", "event-loop"}, {"SCALELAB_REDIS_TIMEOUT_MS", "1500"}});
  auto c = cluster.client(0);
  const auto user = login(*c, "frieda");
  constexpr int kClients = 20;
  using Statuses = std::array<std::atomic<int>, kClients>;
  auto count = [](const Statuses& status, int value) {
    return std::count_if(status.begin(), status.end(), [&](const std::atomic<int>& s) { return s.load() == value; });
  };
  auto all_at_once = [&](Statuses& status) {
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
      clients.emplace_back([&, i] {
        auto mine = cluster.client(0);
        mine->set_read_timeout(5, 0);
        auto r = mine->Get("/api/me", user);
        status[i] = r ? r->status : -1;
      });
    return clients;
  };

  cluster.redis().kill(SIGSTOP);
  Statuses frozen{};
  auto waiting = all_at_once(frozen);
  std::this_thread::sleep_for(300ms);  // every request is parked on Redis now
  auto health = c->Get("/healthz");
  const bool answered_while_parked = health && health->status == 200 &&
                                     count(frozen, 0) == kClients;
  for (auto& t : waiting) t.join();
  cluster.redis().kill(SIGCONT);
  EXPECT_TRUE(answered_while_parked) << "the loop answered /healthz while 20 requests waited on a frozen Redis";
  EXPECT_EQ(count(frozen, 503), kClients) << "each parked request met the Redis timeout";

  cluster.redis().kill(SIGKILL);
  cluster.redis().start();
  Statuses after{};
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (count(after, 200) < kClients && std::chrono::steady_clock::now() < deadline) {
    auto clients = all_at_once(after);
    for (auto& t : clients) t.join();
    if (count(after, 200) < kClients) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(count(after, 200), kClients)
      << "after the restart, concurrent requests reconnect and the session is there (AOF)";
}
