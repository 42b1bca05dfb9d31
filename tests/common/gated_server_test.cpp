// GatedServer on real loopback sockets, with a plain route table: what it changes in
// cpp-httplib's connection loop (stop() with idle keep-alive connections, binding a
// port in use, refusals and their hook) and what it must keep (keep-alive, pipelining,
// 100 Continue, chunked and content-reader bodies), and how it sends a head and its body.
#include "common/gated_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "tests/support/raw_client.hpp"

using namespace std::chrono_literals;
using scalelab::GatedServer;
using scalelab::testkit::RawConnection;
using scalelab::testkit::raw_exchange;
using scalelab::testkit::status_of;

namespace {

// A GatedServer on a free port, serving on its own thread until the object goes.
class Served {
 public:
  explicit Served(GatedServer::Config config = {}) : server(std::move(config)) {
    server.set_keep_alive_timeout(5);
    server.Get("/hello", [](const httplib::Request&, httplib::Response& res) { res.set_content("hi", "text/plain"); });
    server.Get("/empty", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
    server.Put("/count", [](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& reader) {
      std::size_t n = 0;
      reader([&](const char*, std::size_t len) {
        n += len;
        return true;
      });
      res.set_content(std::to_string(n), "text/plain");
    });
    for (int attempt = 0; attempt < 5 && port == 0; ++attempt) {
      const std::uint16_t p = scalelab::net::free_port();
      if (server.bind("127.0.0.1", p)) port = p;
    }
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Served() { stop(); }
  void stop() {
    server.stop();
    if (thread.joinable()) thread.join();
  }

  GatedServer server;
  std::uint16_t port = 0;
  std::thread thread;
};

}  // namespace

TEST(GatedServer, StopDoesNotWaitOutIdleKeepAliveConnections) {
  Served s;
  httplib::Client client("127.0.0.1", s.port);
  client.set_keep_alive(true);
  auto r = client.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hi");
  // The connection now idles in keep-alive (5 s); cpp-httplib's own loop would hold
  // stop() until that timeout.
  const auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(GatedServer, APortInUseCannotBeBoundTwice) {
  Served first;
  GatedServer second;
  errno = 0;
  EXPECT_FALSE(second.bind("127.0.0.1", first.port)) << "SO_REUSEPORT would let both listen";
  EXPECT_EQ(errno, EADDRINUSE);
}

TEST(GatedServer, KeepAlivePipeliningAndBodiesStillWork) {
  Served s;
  // Two requests in one write, the second with a body; then 100 Continue.
  const std::string both = raw_exchange(s.port,
                                        "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                                        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody");
  EXPECT_EQ(status_of(both), 200) << both;
  EXPECT_NE(both.find("\r\n\r\nhi"), std::string::npos) << both;
  EXPECT_NE(both.find("\r\n\r\nbody"), std::string::npos) << both;
  RawConnection c(s.port);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
  ASSERT_TRUE(c.readable_within(2000));
  ASSERT_TRUE(c.send("abc"));
  const std::string continued = c.read_answer();
  EXPECT_EQ(continued.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << continued;
  // A chunked body with extensions and trailers reaches a content reader whole.
  const std::string chunked = raw_exchange(s.port,
                                           "PUT /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "3;x=y\r\nabc\r\n4\r\ndefg\r\n0\r\nT: 1\r\n\r\n");
  EXPECT_EQ(status_of(chunked), 200) << chunked;
  EXPECT_NE(chunked.find("\r\n\r\n7"), std::string::npos) << chunked;
}

TEST(GatedServer, ARefusalIsAnsweredInJsonThroughTheHook) {
  std::atomic<int> refused{0};
  GatedServer::Config config;
  config.on_refused = [&](const scalelab::http_gate::Refusal& r, httplib::Headers& headers) {
    ++refused;
    headers.emplace("X-Refused", r.reason);
  };
  Served s(std::move(config));
  const std::string answer = raw_exchange(s.port, "GET /hello HTTP/1.1\nHost: x\n\n");
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("X-Refused: bare_lf\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("{\"detail\":"), std::string::npos) << answer;
  EXPECT_EQ(refused, 1);
  // A refusal after a good request on the same connection comes after its answer.
  const std::string second = raw_exchange(s.port, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(second), 200) << second;
  EXPECT_NE(second.find("HTTP/1.1 400 Bad Request"), std::string::npos) << second;
  EXPECT_NE(second.find("bad_host"), std::string::npos) << second;
}

namespace {

// One recv() of whatever has arrived once the socket turns readable.
std::string first_arrival(int fd, int timeout_ms = 3000) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) <= 0) return {};
  std::string got(64 * 1024, '\0');
  const ssize_t n = ::recv(fd, got.data(), got.size(), 0);
  got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return got;
}

}  // namespace

// cpp-httplib writes a response's head and its body apart. The stream holds the head
// until the body comes and sends both in one sendmsg, so the client is woken once, by
// one segment holding both; a head no body follows (HEAD, an empty body) must go at once.
TEST(GatedServer, AHeadLeavesWithItsBodyAndAHeadWithoutOneLeavesAtOnce) {
  Served s;
  // A connection of its own for each request (cpp-httplib keeps one for 5 at most).
  auto ask = [&](const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(s.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    std::string got = first_arrival(fd);
    ::close(fd);
    return got;
  };
  for (int i = 0; i < 20; ++i) {
    const std::string got = ask("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
    EXPECT_TRUE(got.ends_with("\r\n\r\nhi")) << "round " << i << ": the head came without its body: " << got;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string head = ask("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_TRUE(head.find("Content-Length: 2\r\n") != std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
  const std::string empty = ask("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(empty.starts_with("HTTP/1.1 204")) << empty;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "a head without a body waited for one";
}
