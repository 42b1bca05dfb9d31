// What the fault proxy's integration tests share: an in-process proxy server on its own
// thread and free ports, a hiredis connection that times its PINGs, and a raw socket
// for what hiredis hides (a reset versus a close, a swallowed request, a late EOF).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <hiredis.h>

#include "lab/faultproxy/client.hpp"
#include "lab/faultproxy/server.hpp"

namespace scalelab::testkit {

class InProcessProxy {
 public:
  // One proxy named `name` in front of 127.0.0.1:upstream_port; retries on taken ports.
  explicit InProcessProxy(std::uint16_t upstream_port, const std::string& name = "redis");
  ~InProcessProxy();
  std::uint16_t port() const { return port_; }
  std::uint16_t api_port() const { return api_port_; }
  faultproxy::Client& client() { return *client_; }
  // Adds a toxic from a JSON body; fails the test on error.
  nlohmann::json add(const nlohmann::json& toxic, const std::string& proxy = "redis");
  // The proxy's stats block from GET /proxies.
  nlohmann::json stats(const std::string& proxy = "redis");

 private:
  std::unique_ptr<faultproxy::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::uint16_t api_port_ = 0;
  std::unique_ptr<faultproxy::Client> client_;
};

class Redis {
 public:
  // Connects (hiredis) with `timeout` for connect and every command. ok() tells.
  explicit Redis(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(3));
  ~Redis();
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;
  bool ok() const { return ctx_ != nullptr && ctx_->err == 0; }
  // Sends PING; true on PONG. After a failure error() says why and the context is dead.
  bool ping();
  // PING's round trip in milliseconds, or a negative number when it failed.
  double timed_ping();
  bool set(const std::string& key, const std::string& value);
  // GET's value, or nullopt on failure or a nil.
  std::optional<std::string> get(const std::string& key);
  std::string error() const;

 private:
  redisContext* ctx_ = nullptr;
};

class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port);  // connected(); errno_of_connect() otherwise
  ~RawSocket();
  bool connected() const { return fd_ >= 0 && connect_errno_ == 0; }
  int connect_errno() const { return connect_errno_; }
  bool send(const std::string& data);

  struct Read {
    std::string data;
    bool eof = false;       // orderly close (FIN)
    int error = 0;          // errno, e.g. ECONNRESET
    bool timed_out = false; // nothing more within the time
  };
  // Reads until `want` bytes arrived, EOF, an error or `timeout`.
  Read read(std::size_t want, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  int connect_errno_ = 0;
};

double ms_since(std::chrono::steady_clock::time_point t);

}  // namespace scalelab::testkit
