// The load generator end to end: real sockets against the fake app process
// (fake_app.cpp). In good mode every check passes; in broken mode the generator must
// count exactly the deviations the server says it served. Also: open-loop latency from
// intended times, timeouts, refused and reset connections, the request bound, the stop
// token, several threads, and the binary's exit code when the target never answers
// (exit_code_test.cpp has the others).
#include <gtest/gtest.h>

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "common/net.hpp"
#include "common/process.hpp"
#include "lab/load/connection.hpp"
#include "lab/load/engine.hpp"
#include "tests/load/fake_app_process.hpp"
#include "tests/support/raw_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace scalelab::load;
using namespace std::chrono_literals;
using loadtest::FakeApp;
using loadtest::kBin;
using testkit::RawServer;

namespace {

LoadConfig full_mix(const std::string& target) {
  LoadConfig c;
  c.target = target;
  c.users = 4;
  c.duration = 20s;  // the request bound ends these runs, in-flight requests included
  c.max_requests = 1200;
  c.mix = parse_mix("session=4,cart=2,upload=1,catalog=2,ratelimit=1,work=1");
  c.work_io_ms = 1;
  c.upload_bytes = 3000;
  c.items = 5;  // few items, so users read what they wrote
  c.seed = 7;
  return c;
}

// GET `path` only, as fast as the users go: the shape of most runs below.
LoadConfig gets(const std::string& target, const std::string& path, unsigned users) {
  LoadConfig c;
  c.target = target;
  c.mix = parse_mix("get");
  c.path = path;
  c.users = users;
  return c;
}

void expect_no_transport_errors(const LoadResult& r) {
  EXPECT_EQ(r.totals.transport_errors(), 0u);
  EXPECT_EQ(r.totals.of(StatusClass::s5xx), 0u);
}

}  // namespace

TEST(LoadIntegration, GoodAppHasNoViolationsAndEveryCheckRuns) {
  FakeApp app("good");
  unsigned seconds = 0;
  const LoadResult r = run_load(full_mix(app.target()), [&](const Sample&) { ++seconds; });
  EXPECT_EQ(r.stop_reason, "max_requests");
  EXPECT_EQ(r.totals.requests, 1200u);
  EXPECT_TRUE(r.target_answered);
  expect_no_transport_errors(r);
  EXPECT_EQ(r.totals.total_violations(), 0u) << nlohmann::json(r)["totals"].dump();
  for (auto check : {Check::session, Check::cart, Check::upload, Check::item, Check::ratelimit})
    EXPECT_GT(r.totals.of(check), 0u) << check_name(check);
  EXPECT_GT(r.totals.of(StatusClass::s429), 0u);  // the burst went over the limit
  ASSERT_EQ(r.instances.size(), 1u);
  EXPECT_EQ(r.instances[0].first, "fake-1");
  EXPECT_EQ(seconds, r.samples.size());
  std::uint64_t sum = 0;
  for (const auto& s : r.samples) sum += s.counts.requests;
  EXPECT_EQ(sum, r.totals.requests);
}

TEST(LoadIntegration, BrokenAppViolationsAreCountedExactly) {
  FakeApp app("broken");
  const LoadResult r = run_load(full_mix(app.target()));
  EXPECT_EQ(r.stop_reason, "max_requests");
  expect_no_transport_errors(r);
  const auto served = app.stats();
  for (auto v : {Violation::session_lost, Violation::cart_lost_write, Violation::upload_missing,
                 Violation::upload_corrupt, Violation::stale_read, Violation::rate_limit_exceeded}) {
    const std::uint64_t expected = served.at(violation_name(v)).get<std::uint64_t>();
    EXPECT_GT(expected, 0u) << violation_name(v) << ": the fake served none; the test proves nothing";
    EXPECT_EQ(r.totals.of(v), expected) << violation_name(v);
  }
  // The first few of each kind are kept with the request that showed them, so a run
  // that breaks a promise says which request, where and what it contradicted.
  std::map<std::string, int> kept;
  for (std::size_t i = 0; i < r.violations.size(); ++i) {
    const FailedRequest& v = r.violations[i];
    ++kept[v.error];
    EXPECT_EQ(v.instance, "fake-1") << v.error;
    EXPECT_NE(v.status, 0) << v.error;
    if (i > 0) {
      EXPECT_LE(r.violations[i - 1].t_s, v.t_s);
    }
    if (v.error == "upload_corrupt") {
      EXPECT_EQ(v.method, "GET");
      EXPECT_EQ(v.target.rfind("/api/uploads/", 0), 0u) << v.target;
      EXPECT_NE(v.detail.find("sha256"), std::string::npos) << v.detail;
    }
  }
  for (auto v : {Violation::session_lost, Violation::cart_lost_write, Violation::upload_missing,
                 Violation::upload_corrupt, Violation::stale_read, Violation::rate_limit_exceeded})
    EXPECT_EQ(kept[violation_name(v)], static_cast<int>(kViolationsKeptPerKind)) << violation_name(v);
  EXPECT_EQ(nlohmann::json(r).at("violations").size(), r.violations.size());
  // One /api/me in three was lost; session checks also count cart and upload requests.
  const double rate =
      static_cast<double>(r.totals.of(Violation::session_lost)) / static_cast<double>(r.totals.of(Check::session));
  EXPECT_GT(rate, 0.05);
  EXPECT_LT(rate, 0.34);
}

TEST(LoadIntegration, OpenLoopMeasuresLatencyFromIntendedSendTimes) {
  FakeApp app("good");
  LoadConfig c = gets(app.target(), "/fake/slow?ms=50", 2);  // at most 40 req/s at 50 ms each
  c.duration = 2s;
  LoadResult closed = run_load(c);
  c.rate = 200;  // five times what two users can serve: the backlog must show
  LoadResult open = run_load(c);
  EXPECT_LT(closed.latency.p99_ms, 200.0);
  EXPECT_GT(closed.latency.p50_ms, 45.0);
  EXPECT_GT(open.latency.p99_ms, 800.0) << "a stalled schedule must show in open-loop latency";
  EXPECT_GT(open.latency.p50_ms, 300.0);
  EXPECT_LE(open.totals.requests, 100u);

  // Below capacity, the open-loop rate is what was asked for.
  c.path = "/healthz";
  c.rate = 300;
  c.users = 4;
  c.threads = 2;
  LoadResult paced = run_load(c);
  EXPECT_NEAR(static_cast<double>(paced.totals.requests), 600.0, 60.0);
  EXPECT_LT(paced.latency.p50_ms, 20.0);
}

TEST(LoadIntegration, ResponseTimeoutsAreCountedAndTheRunEndsOnTime) {
  FakeApp app("good");
  LoadConfig c = gets(app.target(), "/fake/slow?ms=3000", 2);
  c.duration = 1200ms;
  c.response_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const LoadResult r = run_load(c);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_GE(r.totals.of(Transport::timeout), 4u);  // ~3 per user, 300 ms each (+ back-off)
  EXPECT_EQ(r.totals.responses, 0u);
  EXPECT_FALSE(r.target_answered);
}

TEST(LoadIntegration, RefusedTargetIsCountedAndTheBinaryExitsOne) {
  LoadConfig c;
  c.target = "127.0.0.1:" + std::to_string(net::free_port());
  c.mix = parse_mix("get");
  c.duration = 300ms;
  const LoadResult r = run_load(c);
  EXPECT_GT(r.totals.of(Transport::refused), 0u);
  EXPECT_EQ(r.totals.requests, r.totals.of(Transport::refused));
  EXPECT_FALSE(r.target_answered);

  auto proc = process::Process::spawn({.argv = {kBin + "scalelab", "--dir", "/nonexistent/no-lab-here", "load", "--target",
                                                c.target, "--duration", "300ms", "--mix", "get=1", "--output", "json",
                                                "--progress", "none"},
                                       .log_path = "/dev/null"});
  const auto status = proc.wait_for(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1) << status->describe();
}

// `scalelab load --output json | jq`: stdout carries the summary alone. Progress asked
// for goes to stderr when stdout is not a terminal; by default, with no terminal at all,
// there is none.
TEST(LoadIntegration, ProgressStaysOffAStdoutThatIsNotATerminal) {
  FakeApp app("good");
  testkit::TempDir dir{"scalelab-load-progress"};
  auto run = [&](const std::string& progress_flag) {
    const std::string out = (dir / "out").string(), err = (dir / "err").string();
    const std::string command = "exec '" + kBin + "scalelab' --dir /nonexistent/no-lab-here load --target " + app.target() +
                                " --duration 2500ms --users 2 --mix get=1 --path /healthz --output json " + progress_flag +
                                " >'" + out + "' 2>'" + err + "' </dev/null";
    auto proc = process::Process::spawn({.argv = {"/bin/sh", "-c", command}, .log_path = "/dev/null"});
    const auto status = proc.wait_for(20s);
    EXPECT_TRUE(status && status->code == 0) << (status ? status->describe() : "still running");
    auto read = [](const std::string& path) {
      std::ifstream in(path);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    return std::pair{read(out), read(err)};
  };
  auto lines = [](const std::string& text) { return std::count(text.begin(), text.end(), '\n'); };

  const auto [out, err] = run("");
  EXPECT_EQ(lines(out), 1) << out;
  EXPECT_TRUE(nlohmann::json::parse(out).contains("totals")) << out;
  EXPECT_EQ(err, "") << "no terminal, no progress";

  const auto [json_out, json_err] = run("--progress json");
  EXPECT_EQ(lines(json_out), 1) << json_out;
  EXPECT_TRUE(nlohmann::json::parse(json_out).contains("totals")) << json_out;
  EXPECT_GE(lines(json_err), 2) << "a Sample a second, on stderr: " << json_err;
  EXPECT_TRUE(nlohmann::json::parse(json_err.substr(0, json_err.find('\n'))).contains("t")) << json_err;
}

TEST(LoadIntegration, ResetConnectionsAreCounted) {
  // A server that reads the request and resets the connection (SO_LINGER 0).
  RawServer server([](int fd) {
    char buf[4096];
    (void)::recv(fd, buf, sizeof buf, 0);
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  });
  LoadConfig c = gets("127.0.0.1:" + std::to_string(server.port()), "/", 1);
  c.duration = 300ms;
  const LoadResult r = run_load(c);
  EXPECT_GT(r.totals.of(Transport::reset), 0u);
  EXPECT_EQ(r.totals.responses, 0u);
  ASSERT_FALSE(r.failures.empty());
  EXPECT_EQ(r.failures[0].transport, Transport::reset);
  EXPECT_EQ(r.failures[0].method, "GET");
  EXPECT_EQ(r.failures[0].target, "/");
}

TEST(LoadIntegration, FailedAnswersAreKeptWithTheirErrorAndWhereTheyCameFrom) {
  // Every request gets a 503 in the JSON error shape, then the connection closes.
  RawServer server([](int fd) {
    char buf[4096];
    (void)::recv(fd, buf, sizeof buf, 0);
    const std::string body = R"({"error":"no_backends","detail":"no backend is available"})";
    const std::string answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                               "X-Request-Id: rid-7\r\nConnection: close\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(fd);
  });
  LoadConfig c = gets("127.0.0.1:" + std::to_string(server.port()), "/probe?x=1", 2);
  c.max_requests = 60;
  c.duration = 5s;
  const LoadResult r = run_load(c);
  EXPECT_EQ(r.totals.of(StatusClass::s503), 60u);
  ASSERT_EQ(r.failures.size(), kFailuresKept);  // 60 failed, the first 20 kept
  for (std::size_t i = 0; i < r.failures.size(); ++i) {
    const FailedRequest& f = r.failures[i];
    EXPECT_EQ(f.status, 503);
    EXPECT_EQ(f.transport, Transport::none);
    EXPECT_EQ(f.target, "/probe?x=1");
    EXPECT_EQ(f.error, "no_backends");
    EXPECT_EQ(f.detail, "no backend is available");
    EXPECT_EQ(f.instance, "");
    EXPECT_EQ(f.request_id, "rid-7");
    if (i > 0) {
      EXPECT_LE(r.failures[i - 1].t_s, f.t_s);
    }
  }
  const nlohmann::json j = r;
  EXPECT_EQ(j.at("failures").size(), kFailuresKept);
}

TEST(LoadIntegration, StopTokenEndsARunEarly) {
  FakeApp app("good");
  LoadConfig c;
  c.target = app.target();
  c.mix = parse_mix("get");
  c.path = "/healthz";
  c.duration = 30s;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(400ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  const LoadResult r = run_load(c, {}, stop.get_token());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(r.stop_reason, "stopped");
  EXPECT_GT(r.totals.requests, 0u);
}

TEST(LoadIntegration, SeveralThreadsShareTheWorkAndSamplesAddUp) {
  FakeApp app("good");
  LoadConfig c;
  c.target = app.target();
  c.mix = parse_mix("session=1,get=1");
  c.path = "/healthz";
  c.users = 6;
  c.threads = 3;
  c.duration = 1500ms;
  const LoadResult r = run_load(c);
  EXPECT_EQ(r.stop_reason, "duration");
  EXPECT_GT(r.totals.requests, 100u);
  EXPECT_EQ(r.totals.total_violations(), 0u);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.samples[0].t, 1u);
  EXPECT_NEAR(r.samples[1].interval_s, 0.5, 0.1);
  EXPECT_EQ(r.samples[0].counts.requests + r.samples[1].counts.requests, r.totals.requests);
}

namespace {

// One exchange on a fresh Connection, run to completion on its own io_context.
Response exchange_once(std::uint16_t port, const std::string& head) {
  boost::asio::io_context io;
  Connection conn(io, {boost::asio::ip::make_address_v4("127.0.0.1"), port}, ConnectionLimits{});
  Response out;
  boost::asio::co_spawn(io, conn.exchange(head, {}, out), boost::asio::detached);
  io.run();
  return out;
}

// Two requests on one Connection, one after the other.
std::pair<Response, Response> exchange_twice(std::uint16_t port, const std::string& head) {
  boost::asio::io_context io;
  Connection conn(io, {boost::asio::ip::make_address_v4("127.0.0.1"), port}, ConnectionLimits{});
  std::pair<Response, Response> out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        co_await conn.exchange(head, {}, out.first);
        co_await conn.exchange(head, {}, out.second);
      }(),
      boost::asio::detached);
  io.run();
  return out;
}

}  // namespace

// A backend that answers one request with two responses: the surplus must never be
// taken as the answer to the next request (found attacking the stock audit, which
// read one item's stock as another's).
TEST(LoadIntegration, SurplusBytesAfterAResponseAreNeverTheNextAnswer) {
  RawServer server([](int fd) {
    char buf[4096];
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
    const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale";
    (void)::send(fd, reply.data(), reply.size(), 0);
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
      const std::string later = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nreuse";
      (void)::send(fd, later.data(), later.size(), 0);
    }
    ::close(fd);
  });
  const auto [one, two] = exchange_twice(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(one.body, "first");
  EXPECT_EQ(two.status, 200);
  EXPECT_EQ(two.body, "first") << "the second request went out on a new connection";

  // The same surplus arriving late, while the connection is idle.
  RawServer late([](int fd) {
    char buf[4096];
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst";
    (void)::send(fd, reply.data(), reply.size(), 0);
    std::this_thread::sleep_for(50ms);
    const std::string surplus = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale";
    (void)::send(fd, surplus.data(), surplus.size(), 0);
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
      const std::string later = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nreuse";
      (void)::send(fd, later.data(), later.size(), 0);
    }
    ::close(fd);
  });
  boost::asio::io_context io;
  Connection conn(io, {boost::asio::ip::make_address_v4("127.0.0.1"), late.port()}, ConnectionLimits{});
  Response a, b;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        co_await conn.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", {}, a);
        boost::asio::steady_timer wait(io, 150ms);
        co_await wait.async_wait(boost::asio::use_awaitable);
        co_await conn.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", {}, b);
      }(),
      boost::asio::detached);
  io.run();
  EXPECT_EQ(a.body, "first");
  EXPECT_EQ(b.body, "first") << "an idle connection with unsolicited bytes was reused";
}

TEST(LoadIntegration, ClientReadsChunkedAndCloseDelimitedBodies) {
  FakeApp app("good");
  const auto port = static_cast<std::uint16_t>(std::stoi(app.target().substr(app.target().rfind(':') + 1)));
  const Response chunked = exchange_once(port, "GET /fake/chunked HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(chunked.status, 200);
  EXPECT_EQ(chunked.body, "chunked body in three pieces");
  EXPECT_EQ(chunked.instance, "fake-1");

  // An HTTP/1.0-style answer whose body ends when the server closes the connection.
  RawServer server([](int fd) {
    char buf[4096];
    (void)::recv(fd, buf, sizeof buf, 0);
    const std::string reply = "HTTP/1.1 200 OK\r\nConnection: close\r\nX-Instance: raw\r\n\r\nuntil the end";
    (void)::send(fd, reply.data(), reply.size(), 0);
    ::close(fd);
  });
  const Response closed = exchange_once(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(closed.transport, Transport::none);
  EXPECT_EQ(closed.status, 200);
  EXPECT_EQ(closed.body, "until the end");
  EXPECT_FALSE(closed.keep_alive);
}
