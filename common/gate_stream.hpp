// The connection as cpp-httplib sees it when a RequestGate stands in front: an
// httplib::Stream whose reads return the gate's re-rendered requests, one request at a
// time, and whose writes go to the socket. When the gate refuses a request, the stream
// answers it itself (JSON, Connection: close), then tells cpp-httplib the input ended
// and swallows whatever cpp-httplib writes after that. GatedServer drives it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/http_gate.hpp"
#include "common/waits.hpp"

namespace scalelab::http_gate {

struct StreamSettings {
  Limits limits;
  std::chrono::microseconds read_timeout{std::chrono::seconds(5)};   // per read
  std::chrono::microseconds write_timeout{std::chrono::seconds(5)};  // per write
  // Called once per refused request, if set, before the answer goes out; it may add
  // headers to the answer (say, X-Instance), and count or log the refusal.
  std::function<void(const Refusal& refusal, httplib::Headers& headers)> on_refused;
};

class GateStream final : public httplib::Stream {
 public:
  // Takes ownership of `sock`: the destructor closes it, after a short linger (half
  // close, then drain) when the client may still be sending, so it reads the answer
  // instead of a reset.
  GateStream(socket_t sock, const StreamSettings& settings);
  ~GateStream() override;
  GateStream(const GateStream&) = delete;
  GateStream& operator=(const GateStream&) = delete;

  // Waits, between requests, until the next one has begun (true), or `idle` passes,
  // the client leaves, or `listener` becomes INVALID_SOCKET (the server stops; seen
  // within 50 ms).
  bool await_request(std::chrono::seconds idle, const std::atomic<socket_t>& listener);
  // After cpp-httplib is done with a request: drops what it did not read of it (a body
  // no handler asked for, up to 1 MiB) so the next request starts at its own first
  // byte. False when the connection must close instead.
  bool finish_request();
  // The gate refused a request on this connection, and the stream has answered it.
  bool refused() const { return refused_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return sock_; }

 private:
  // Waits for `events` through the socket's watch: the revents, 0 on timeout, -1 on error.
  int wait(short events, std::chrono::microseconds timeout,
           waits::Watch::Known known = waits::Watch::Known::unknown) const;
  // One read into the gate, waiting up to `timeout` for bytes: bytes read, 0 at end of
  // input, -1 on timeout (errno ETIMEDOUT) or error.
  ssize_t receive(std::chrono::microseconds timeout,
                  waits::Watch::Known known = waits::Watch::Known::unknown);
  void answer_refusal();
  bool send_all(std::string_view bytes);
  // Sends a head write() held for its body, if one is held. False if the send failed.
  bool send_held_head();
  void linger();

  socket_t sock_;
  mutable waits::Watch watch_;  // sock_'s readiness: registered with an event loop once, not per wait
  const StreamSettings& settings_;
  RequestGate gate_;
  bool refused_ = false;
  bool answer_started_ = false;  // cpp-httplib wrote a final (non-1xx) response for this request
  std::string held_head_;         // a response head waiting to leave with its body (write())
  // The connection's two addresses, asked of the kernel once: cpp-httplib asks for
  // them for every request.
  mutable std::optional<std::pair<std::string, int>> remote_, local_;
};

}  // namespace scalelab::http_gate
