// A virtual user talks to the target over one of these: a keep-alive HTTP/1.1
// connection on Asio with C++20 coroutines. It connects lazily, reuses the connection
// while the server keeps it alive, reconnects after a close, and turns every failure
// into a Transport kind instead of an exception. Timeouts are enforced by the owner's
// watchdog calling enforce_deadline() (one timer per thread instead of one per request,
// which matters at tens of thousands of requests per second).
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <string_view>

#include "common/asio.hpp"
#include "lab/load/response.hpp"

namespace scalelab::load {

struct ConnectionLimits {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds response_timeout{10000};  // from the first byte sent to the last received
  std::uint64_t body_limit = 64ull << 20;
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target, ConnectionLimits limits);

  // Sends `head` (request line and headers, CRLF-terminated) and `body`, then reads one
  // response into `out`. Never throws. A reused connection that the server had already
  // closed (idle keep-alive expiry) is retried once on a new connection, as browsers do,
  // when no byte of the response had arrived. A connection is never reused when the
  // server sent more than the response's framing said, then or while it was idle. After
  // abort(), `out.aborted` is set.
  boost::asio::awaitable<void> exchange(std::string_view head, std::string_view body, Response& out);

  // Called periodically by the owner: closes the socket if the current connect or
  // response has run past its deadline, so the pending operation fails as a timeout.
  void enforce_deadline(Clock::time_point now);

  // Ends any pending operation for good (the run is stopping).
  void abort();

  std::uint64_t connects() const { return connects_; }

 private:
  Transport classify(const boost::system::error_code& ec) const;
  void close();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint target_;
  ConnectionLimits limits_;
  boost::beast::flat_buffer buffer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool aborted_ = false;
  bool reused_ = false;  // at least one response already came over this socket
  std::uint64_t connects_ = 0;
};

}  // namespace scalelab::load
