// Integration tests: scale to zero at the balancer (balancer/activator.hpp). A real
// scalelab-balancer with no backend at all and --activator pointing at a stand-in for
// the lab's supervisor: an HTTP server in this process that records each
// POST /activate and, when told to, registers a real test backend through the balancer's
// admin API after a delay, as the supervisor does once the instance it started is ready.
// (The backend process is spawned up front, on the test's thread: a child spawned from
// a short-lived thread would die with it, PR_SET_PDEATHSIG.)
#include <atomic>
#include <csignal>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {

class FakeSupervisor {
 public:
  // `start_after`: on the first call, add backend "a" to the balancer (serve()) after
  // this long; nullopt: never add anything.
  explicit FakeSupervisor(std::optional<std::chrono::milliseconds> start_after) : start_after_(start_after) {
    if (start_after_) backend_ = std::make_unique<TestBackend>("a");
    server_.Post("/activate", [this](const httplib::Request& req, httplib::Response& res) {
      const auto body = nlohmann::json::parse(req.body, nullptr, false);
      {
        std::lock_guard lock(mu_);
        waiting_.push_back(body.is_object() ? body.value("waiting", -1) : -1);
      }
      if (calls_++ == 0 && start_after_) starter_ = std::async(std::launch::async, [this] { start_backend(); });
      res.set_content(R"({"instances":1})", "application/json");
    });
    port_ = static_cast<std::uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeSupervisor() {
    server_.stop();
    thread_.join();
    if (starter_.valid()) starter_.wait();
  }
  void serve(std::uint16_t balancer_admin_port) { admin_port_ = balancer_admin_port; }
  std::uint16_t port() const { return port_; }
  int calls() const { return calls_; }
  std::vector<int> waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  void start_backend() {
    std::this_thread::sleep_for(*start_after_);
    auto admin = make_client("127.0.0.1", admin_port_);
    admin.Post("/admin/backends", R"({"id":"a","address":")" + backend_->address() + R"("})", "application/json");
  }

  std::optional<std::chrono::milliseconds> start_after_;
  httplib::Server server_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> admin_port_{0};
  std::thread thread_;
  std::future<void> starter_;
  std::unique_ptr<TestBackend> backend_;
  std::atomic<int> calls_{0};
  std::mutex mu_;
  std::vector<int> waiting_;
};

std::string activator_flag(const FakeSupervisor& s) { return "--activator=127.0.0.1:" + std::to_string(s.port()); }

std::string error_of(const httplib::Result& r) {
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_object() ? j.value("error", "") : "";
}

}  // namespace

TEST(Activation, ARequestWithNoBackendWaitsForTheOneTheLabStartsAndSaysHowLong) {
  FakeSupervisor lab(400ms);
  Balancer lb({activator_flag(lab), "--health-interval-ms=100"});
  lab.serve(lb.admin_port());

  auto cli = lb.client();
  const auto began = std::chrono::steady_clock::now();
  auto r = cli.Get("/echo");
  const auto took = std::chrono::steady_clock::now() - began;
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("X-Instance"), "a");
  ASSERT_TRUE(r->has_header("X-Scalelab-Cold-Start-Ms"));
  const long waited = std::stol(r->get_header_value("X-Scalelab-Cold-Start-Ms"));
  EXPECT_GE(waited, 400);
  EXPECT_LE(waited, std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  EXPECT_EQ(lab.calls(), 1);
  EXPECT_EQ(lab.waiting(), std::vector<int>{1});

  // Warm now: no wait, no header, no call.
  auto warm = cli.Get("/echo");
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->status, 200);
  EXPECT_FALSE(warm->has_header("X-Scalelab-Cold-Start-Ms"));
  EXPECT_EQ(lab.calls(), 1);

  EXPECT_EQ(lb.metric("balancer_cold_start_seconds_count"), 1);
  EXPECT_GE(lb.metric("balancer_cold_start_seconds_sum"), 0.4);
  EXPECT_EQ(lb.metric("balancer_activation_calls_total{result=\"ok\"}"), 1);
  EXPECT_EQ(lb.metric("balancer_activation_waiting"), 0);
  ASSERT_TRUE(eventually([&] { return lb.access_lines().size() >= 2; }));
  const auto line = lb.access_lines().front();
  EXPECT_EQ(line.value("cold_start_ms", -1), waited) << line.dump();
  EXPECT_FALSE(lb.access_lines()[1].contains("cold_start_ms"));
}

TEST(Activation, ABurstWaitsTogetherAndTheLabHearsHowManyWait) {
  FakeSupervisor lab(600ms);
  Balancer lb({activator_flag(lab), "--health-interval-ms=100"});
  lab.serve(lb.admin_port());
  std::vector<std::future<std::pair<int, bool>>> burst;
  for (int i = 0; i < 12; ++i) {
    burst.push_back(std::async(std::launch::async, [&lb] {
      auto cli = lb.client();
      auto r = cli.Get("/echo");
      return std::make_pair(r ? r->status : 0, r && r->has_header("X-Scalelab-Cold-Start-Ms"));
    }));
    std::this_thread::sleep_for(10ms);
  }
  for (auto& f : burst) EXPECT_EQ(f.get(), std::make_pair(200, true));
  // Asked at once (within one 20 ms tick of the first request, so 1 or 2 wait), then
  // again each time the queue had doubled since the last call (or a second passed).
  const auto waiting = lab.waiting();
  ASSERT_GE(waiting.size(), 2u);
  EXPECT_LE(waiting.front(), 3);
  EXPECT_GE(waiting.back(), 2 * waiting.front());
  for (std::size_t i = 1; i < waiting.size(); ++i) EXPECT_GE(waiting[i], waiting[i - 1]) << i;
  EXPECT_EQ(lb.metric("balancer_cold_start_seconds_count"), 12);
}

TEST(Activation, PastTheQueueBoundOrTheTimeoutTheAnswerIs503WithRetryAfter) {
  FakeSupervisor lab(std::nullopt);  // never starts an instance
  Balancer lb({activator_flag(lab), "--activation-queue=2", "--activation-timeout-ms=800"});
  std::vector<std::future<httplib::Result>> waiting;
  for (int i = 0; i < 2; ++i)
    waiting.push_back(std::async(std::launch::async, [&lb] { return lb.client().Get("/echo"); }));
  ASSERT_TRUE(eventually([&] { return lb.metric("balancer_activation_waiting") == 2; }, 2s));

  // The queue is full: a third is refused at once.
  const auto began = std::chrono::steady_clock::now();
  auto full = lb.client().Get("/echo");
  ASSERT_TRUE(full);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 300ms);
  EXPECT_EQ(full->status, 503);
  EXPECT_EQ(error_of(full), "activation_queue_full") << full->body;
  EXPECT_EQ(full->get_header_value("Retry-After"), "1");

  for (auto& f : waiting) {
    auto r = f.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(error_of(r), "cold_start_timeout") << r->body;
    EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  }
  EXPECT_EQ(lb.metric("balancer_activation_refused_total{reason=\"queue_full\"}"), 1);
  EXPECT_EQ(lb.metric("balancer_activation_refused_total{reason=\"timeout\"}"), 2);
  EXPECT_EQ(lb.metric("balancer_activation_waiting"), 0);
  EXPECT_EQ(lb.metric("balancer_cold_start_seconds_count"), 0);
  EXPECT_GE(lab.calls(), 1);
}

TEST(Activation, AnUnreachableLabEndsTheWaitAt503AndShutdownEndsItAtOnce) {
  std::uint16_t closed_port = 0;
  {
    FakeSupervisor gone(std::nullopt);
    closed_port = gone.port();
  }
  Balancer lb({"--activator=127.0.0.1:" + std::to_string(closed_port), "--activation-timeout-ms=1500"});
  auto r = lb.client().Get("/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(error_of(r), "cold_start_timeout");
  EXPECT_GE(lb.metric("balancer_activation_calls_total{result=\"error\"}"), 1);

  // SIGTERM: a request waiting for an instance is answered now, not at its timeout.
  Balancer patient({"--activator=127.0.0.1:" + std::to_string(closed_port), "--activation-timeout-ms=60000"});
  auto pending = std::async(std::launch::async, [&patient] { return patient.client().Get("/echo"); });
  ASSERT_TRUE(eventually([&] { return patient.metric("balancer_activation_waiting") == 1; }, 2s));
  const auto began = std::chrono::steady_clock::now();
  patient.process().signal(SIGTERM);
  auto ended = pending.get();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 503);
  EXPECT_EQ(error_of(ended), "shutting_down");
}

TEST(Activation, WithoutAnActivatorNoBackendIsAnswered503AtOnce) {
  Balancer lb({});
  const auto began = std::chrono::steady_clock::now();
  auto r = lb.client().Get("/echo");
  ASSERT_TRUE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 500ms);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(error_of(r), "no_backends");
}
