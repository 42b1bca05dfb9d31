#include "tests/faultproxy/harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <gtest/gtest.h>

#include "common/log.hpp"
#include "common/net.hpp"

namespace scalelab::testkit {

InProcessProxy::InProcessProxy(std::uint16_t upstream_port, const std::string& name) {
  log::init("faultproxy-test", "", log::Level::warn);
  for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
    port_ = net::free_port();
    api_port_ = net::free_port();
    faultproxy::ServerOptions options;
    options.proxies.push_back(faultproxy::parse_proxy_definition(
        name + "=127.0.0.1:" + std::to_string(port_) + ",127.0.0.1:" + std::to_string(upstream_port)));
    options.api = {"127.0.0.1", api_port_};
    try {
      server_ = std::make_unique<faultproxy::Server>(options);
    } catch (const std::system_error&) {
      // Another process took a port between free_port() and bind: pick new ones.
    }
  }
  if (!server_) throw std::runtime_error("could not bind the in-process fault proxy");
  thread_ = std::thread([this] { server_->run(); });
  client_ = std::make_unique<faultproxy::Client>("127.0.0.1", api_port_);
  if (!net::wait_for_port("127.0.0.1", api_port_, std::chrono::seconds(5)))
    throw std::runtime_error("in-process fault proxy API not up");
}

InProcessProxy::~InProcessProxy() {
  client_.reset();
  server_->stop();
  thread_.join();
}

nlohmann::json InProcessProxy::add(const nlohmann::json& toxic, const std::string& proxy) {
  try {
    return client_->add_toxic(proxy, toxic);
  } catch (const faultproxy::ClientError& e) {
    ADD_FAILURE() << "add_toxic " << toxic.dump() << ": " << e.what();
    return nullptr;
  }
}

nlohmann::json InProcessProxy::stats(const std::string& proxy) { return client_->proxies()[proxy]["stats"]; }

Redis::Redis(std::uint16_t port, std::chrono::milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (ctx_ != nullptr && ctx_->err == 0) redisSetTimeout(ctx_, tv);
}

Redis::~Redis() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

std::string Redis::error() const {
  if (ctx_ == nullptr) return "no context";
  return ctx_->err != 0 ? std::string(ctx_->errstr) : std::string("unexpected reply");
}

bool Redis::ping() {
  if (!ok()) return false;
  auto* reply = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
  if (reply == nullptr) return false;
  const bool pong = reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG";
  freeReplyObject(reply);
  return pong;
}

double Redis::timed_ping() {
  const auto t0 = std::chrono::steady_clock::now();
  return ping() ? ms_since(t0) : -1;
}

bool Redis::set(const std::string& key, const std::string& value) {
  if (!ok()) return false;
  auto* reply = static_cast<redisReply*>(
      redisCommand(ctx_, "SET %b %b", key.data(), key.size(), value.data(), value.size()));
  if (reply == nullptr) return false;
  const bool done = reply->type == REDIS_REPLY_STATUS;
  freeReplyObject(reply);
  return done;
}

std::optional<std::string> Redis::get(const std::string& key) {
  if (!ok()) return std::nullopt;
  auto* reply = static_cast<redisReply*>(redisCommand(ctx_, "GET %b", key.data(), key.size()));
  if (reply == nullptr) return std::nullopt;
  std::optional<std::string> out;
  if (reply->type == REDIS_REPLY_STRING) out = std::string(reply->str, reply->len);
  freeReplyObject(reply);
  return out;
}

RawSocket::RawSocket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) connect_errno_ = errno;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::send(const std::string& data) {
  return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

RawSocket::Read RawSocket::read(std::size_t want, std::chrono::milliseconds timeout) {
  Read out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (out.data.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      break;
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready == 0) {
      out.timed_out = true;
      break;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      out.data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      out.eof = true;
      break;
    } else if (errno != EINTR) {
      out.error = errno;
      break;
    }
  }
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace scalelab::testkit
