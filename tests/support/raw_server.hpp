// A bare TCP server on 127.0.0.1 for behaviours no HTTP library produces on purpose:
// resets, close-delimited bodies, a response header cut off halfway. It runs
// `serve(fd)` for each connection, one at a time, on its own thread; `serve` owns the
// descriptor and must return within a bounded time, since the destructor waits for it.
#pragma once

#include <cstdint>
#include <functional>
#include <thread>

namespace scalelab::testkit {

// Reads a request's head (through its blank line) from `fd`; what arrived so far if the
// peer stops first.
std::string read_request_head(int fd);
// Sends `response`, half-closes, waits for the peer to close, and closes `fd`: the
// one-answer-per-connection shape of a fake HTTP server.
void answer_and_close(int fd, const std::string& response);

class RawServer {
 public:
  explicit RawServer(std::function<void(int)> serve);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace scalelab::testkit
