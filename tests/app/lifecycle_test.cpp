// Signals and outages: SIGTERM drains, SIGKILL of one instance costs nothing in shared
// mode, and Redis or S3 going away gives 503 with Retry-After, then recovery.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/net.hpp"
#include "common/process.hpp"
#include "tests/app/app_test_util.hpp"
#include "tests/support/stalled_log.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab::testkit;
using namespace std::chrono_literals;

TEST(Lifecycle, SigtermFinishesEveryInFlightRequestThenExitsZero) {
  AppCluster cluster(1, {{"SCALELAB_DRAIN_GRACE_MS", "500"}});
  std::atomic<int> ok{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < 6; ++i)
    slow.emplace_back([&] {
      auto c = cluster.client(0);
      auto r = c->Get("/api/work?io_ms=1500");
      if (r && r->status == 200) ++ok;
    });
  std::this_thread::sleep_for(300ms);
  cluster.app(0).process.signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  auto ready = cluster.client(0)->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503) << "readiness turns false at once";
  EXPECT_EQ(body(ready)["reason"], "draining");
  EXPECT_EQ(ready->get_header_value("Connection"), "close");
  for (auto& t : slow) t.join();
  EXPECT_EQ(ok.load(), 6) << "every in-flight request completes";
  auto status = cluster.app(0).process.wait_for(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->describe(), "exit 0");
}

// SCALELAB_STARTUP_DELAY_MS: a heavy runtime's cold start. Nothing listens until it has
// passed (connects are refused, as by a process still loading), and a SIGTERM meanwhile
// ends the instance at once, cleanly.
namespace {
// SIGTERM, 300 ms into a simulated cold start, ends the process at once with exit 0.
void expect_sigterm_ends_a_start_at_once(scalelab::process::Process& starting, const char* what) {
  std::this_thread::sleep_for(300ms);
  const auto asked = std::chrono::steady_clock::now();
  starting.signal(SIGTERM);
  const auto status = starting.wait_for(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->describe(), "exit 0");
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "SIGTERM waited for " << what;
}
}  // namespace

TEST(Lifecycle, AStartupDelayKeepsThePortClosedUntilItPassesAndSigtermStillEndsIt) {
  const std::uint16_t port = scalelab::net::free_port();
  TempDir dir("scalelab-startup");
  auto start = [&] {
    scalelab::process::SpawnOptions options;
    options.argv = {AppCluster::binary("scalelab-app"), "--listen", "127.0.0.1:" + std::to_string(port),
                    "--admin-listen", "0", "--state", "local", "--startup-delay-ms", "1500",
                    "--data-dir", (dir / "data").string()};
    options.log_path = (dir / "app.log").string();
    return scalelab::process::Process::spawn(options);
  };
  auto app = start();
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(500ms);
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(0, 300000);
  EXPECT_FALSE(cli.Get("/healthz")) << "listening before its start-up delay passed";
  bool up = false;
  while (!up && std::chrono::steady_clock::now() - started < 10s) {
    auto r = cli.Get("/healthz");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1400ms);
  app.signal(SIGTERM);
  ASSERT_TRUE(app.wait_for(15s));

  auto slow = start();
  expect_sigterm_ends_a_start_at_once(slow, "the start-up delay");
}

// The CPU a start costs (--startup-cpu-ms) is real CPU time of the process, spent before
// it listens; a SIGTERM in the middle of it ends the process within a slice.
TEST(Lifecycle, AStartupCpuCostIsBurntBeforeListeningAndSigtermStillEndsIt) {
  const std::uint16_t port = scalelab::net::free_port();
  TempDir dir("scalelab-startup-cpu");
  auto start = [&](const char* cpu_ms) {
    scalelab::process::SpawnOptions options;
    options.argv = {AppCluster::binary("scalelab-app"), "--listen", "127.0.0.1:" + std::to_string(port),
                    "--admin-listen", "0", "--state", "local", "--startup-cpu-ms", cpu_ms,
                    "--data-dir", (dir / "data").string()};
    options.log_path = (dir / "app.log").string();
    return scalelab::process::Process::spawn(options);
  };
  auto app = start("600");
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(0, 300000);
  bool up = false;
  const auto started = std::chrono::steady_clock::now();
  while (!up && std::chrono::steady_clock::now() - started < 20s) {
    auto r = cli.Get("/healthz");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(up);
  // utime + stime from /proc/PID/stat, fields 14 and 15, in clock ticks.
  std::ifstream stat("/proc/" + std::to_string(app.pid()) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i >= 14) ticks += std::stol(field);
  EXPECT_GE(static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK)), 0.55) << text;
  app.signal(SIGTERM);
  ASSERT_TRUE(app.wait_for(15s));

  auto slow = start("60000");
  expect_sigterm_ends_a_start_at_once(slow, "the start-up CPU");
}

// An access line for every request goes to stderr. When whoever reads it stops (a full
// pipe: a stalled log shipper, a paused `docker logs`), a write would wait, and with it
// every thread that logs: a pool's workers one by one, an event loop at once. Lines
// wait in a bounded buffer instead, and beyond it are dropped and counted. This reader
// holds the pipe open and reads nothing while a thousand requests ask for 300 kB of log.
TEST(Lifecycle, ALogReaderThatStopsReadingStopsNoRequest) {
  TempDir dir("scalelab-stalled-app");
  StalledLogReader log;
  const std::uint16_t port = scalelab::net::free_port();
  scalelab::process::SpawnOptions options;
  options.argv = {AppCluster::binary("scalelab-app"), "--listen", "127.0.0.1:" + std::to_string(port),
                  "--admin-listen", "0", "--state", "local", "--data-dir", (dir / "data").string(),
                  "--log-buffer-bytes", "16384"};
  if (const char* model = std::getenv("SCALELAB_TEST_APP_MODEL"); model != nullptr && *model != '\0')
    options.env["SCALELAB_APP_MODEL"] = model;
  options.log_path = log.path();
  auto app = scalelab::process::Process::spawn(options);
  ASSERT_TRUE(scalelab::net::wait_for_port("127.0.0.1", port, 10s));

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(status_of(client.Get("/healthz")), 200) << "request " << i;
  auto metrics = client.Get("/metrics");
  ASSERT_EQ(status_of(metrics), 200);
  const double dropped = metric_value(metrics->body, "app_log_lines_dropped_total");
  EXPECT_GT(dropped, 0) << "300 kB of access lines fit in a 64 KiB pipe and 16 KiB of buffer?";

  // The reader reads again: whole JSON lines, the drops owned up to, and a clean exit.
  expect_sigterm_ends_with_every_line_accounted(app, log, "path", "/healthz", 1000, dropped);
}

TEST(Lifecycle, SigkillOfOneInstanceLeavesEverySharedSessionServed) {
  AppCluster cluster(3);
  std::vector<httplib::Headers> users;
  for (int i = 0; i < 9; ++i) users.push_back(login(*cluster.client(i % 3), "user" + std::to_string(i)));
  cluster.app(1).process.signal(SIGKILL);
  cluster.app(1).process.wait();
  for (const auto& user : users)
    for (std::size_t survivor : {0u, 2u}) EXPECT_EQ(cluster.client(survivor)->Get("/api/me", user)->status, 200);
}

TEST(Lifecycle, RedisOutageAnswers503WithRetryAfterThenRecovers) {
  AppCluster cluster(1, {{"SCALELAB_REDIS_TIMEOUT_MS", "300"}});
  // The lab's Redis syncs its append-only file every second, and with a sync still
  // running (a busy disk) it holds new writes back for up to 2 s: a SIGKILL then loses
  // them, the session with them. This test is about the instance's recovery, so its
  // Redis syncs every write before answering.
  ASSERT_EQ(cluster.redis().cli("CONFIG SET appendfsync always"), "OK");
  auto c = cluster.client(0);
  const auto dave = login(*c, "dave");
  cluster.redis().kill(SIGKILL);
  auto me = c->Get("/api/me", dave);
  EXPECT_EQ(me->status, 503);
  EXPECT_EQ(body(me)["error"], "store_unavailable");
  EXPECT_EQ(me->get_header_value("Retry-After"), "1");
  EXPECT_EQ(c->Get("/readyz")->status, 503);
  EXPECT_EQ(c->Get("/healthz")->status, 200) << "alive, just not ready";
  EXPECT_EQ(c->Get("/api/items/1")->status, 503);
  cluster.redis().start();
  bool back = false;
  std::string last;
  for (int i = 0; i < 100 && !back; ++i) {
    const auto r = c->Get("/api/me", dave);
    back = r && r->status == 200;
    last = r ? std::to_string(r->status) + " " + r->body : "no answer";
    if (!back) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(back) << "the session survives the outage (AOF) and the instance recovers by itself; last: " << last;
  EXPECT_EQ(c->Get("/readyz")->status, 200);
}

TEST(Lifecycle, S3OutageAffectsUploadsOnly) {
  AppCluster cluster(1, {{"SCALELAB_S3_TIMEOUT_MS", "1000"}});
  auto c = cluster.client(0);
  const auto erin = login(*c, "erin");
  cluster.s3().kill(SIGKILL);
  auto up = c->Post("/api/uploads", erin, "payload", "text/plain");
  EXPECT_EQ(up->status, 503);
  EXPECT_EQ(up->get_header_value("Retry-After"), "1");
  EXPECT_EQ(c->Get("/api/me", erin)->status, 200);
  EXPECT_EQ(c->Get("/readyz")->status, 503);
  cluster.s3().start();
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    back = c->Post("/api/uploads", erin, "payload", "text/plain")->status == 201;
    if (!back) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(back);
}

TEST(Headers, EveryResponseCarriesInstanceRequestIdStateAndTiming) {
  AppCluster cluster(1);
  auto c = cluster.client(0);
  for (const char* path : {"/healthz", "/api/items/3", "/nowhere", "/api/me"}) {
    auto r = c->Get(path, {{"X-Request-Id", "trace-123"}});
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->get_header_value("X-Instance"), "app-1") << path;
    EXPECT_EQ(r->get_header_value("X-Request-Id"), "trace-123") << path;
    EXPECT_EQ(r->get_header_value("X-Scalelab-State"), "shared") << path;
    const std::string timing = r->get_header_value("Server-Timing");
    for (const char* stage : {"parse;dur=", "route;dur=", "middleware;dur=", "handler;dur=", "serialize;dur="})
      EXPECT_NE(timing.find(stage), std::string::npos) << path << ": " << timing;
  }
  auto generated = c->Get("/healthz");
  EXPECT_EQ(generated->get_header_value("X-Request-Id").size(), 16u);
  const std::string raw = raw_exchange(cluster.app(0).port, "NONSENSE\r\n\r\n");
  EXPECT_NE(raw.find("X-Instance: app-1"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Request-Id: "), std::string::npos) << raw;
}
