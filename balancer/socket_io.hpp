// The proxy's coroutines read and write sockets through these functions rather than
// Beast's composed operations: each of those adds a post through the scheduler, and at
// tens of thousands of small requests per second that is a large share of the CPU.
// Writes try the non-blocking system call first and wait for writability only when it
// would block, which on loopback almost never happens. Sockets passed here must be in
// non-blocking mode (set_fast_options). Timers: wait(). Cancellation (a Deadline
// closing or cancelling the socket) ends a wait with operation_aborted.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <span>
#include <vector>

#include "common/asio.hpp"

namespace scalelab::balancer::io {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// TCP_NODELAY (small keep-alive exchanges otherwise stall on Nagle plus delayed ACK)
// and non-blocking mode for the helpers below.
inline void set_fast_options(tcp::socket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  s.non_blocking(true, ignored);
}

// Asio's epoll reactor adds write interest (EPOLLOUT) to a socket for async_connect
// and never removes it, so a pooled upstream connection would then wake the loop each
// time the backend acknowledges a request. Handing the descriptor back and forth
// registers it afresh, with read interest only; two system calls once per connection.
inline void reregister_without_write_interest(tcp::socket& s) {
  error_code ec;
  const auto protocol = s.local_endpoint(ec).protocol();
  if (ec) return;
  const auto fd = s.release(ec);
  if (ec) return;
  s.assign(protocol, fd, ec);
  if (ec) ::close(fd);
}

// Waits for `timer`; returns false when it was cancelled rather than expired.
inline asio::awaitable<bool> wait(asio::steady_timer& timer) {
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

// Reads at most buffer_size(b) bytes. Returns the count; eof and errors go to `ec`.
// Reads go straight to Asio's async_read_some: it tries the read itself first and,
// when it must wait, relies on the edge-triggered registration, whereas an explicit
// async_wait(wait_read) costs an extra epoll_ctl per wait.
// Not a coroutine itself: the caller awaits Asio's operation directly, one coroutine
// frame fewer per read.
// Any stream with Asio's async_read_some serves (the fuzz targets pass an in-memory one).
template <class Stream>
asio::awaitable<std::size_t> read_some(Stream& s, asio::mutable_buffer b, error_code& ec) {
  ec = {};
  return s.async_read_some(b, asio::redirect_error(asio::use_awaitable, ec));
}

// Writes as much of `buffers` (a gather list) as the socket takes now, without waiting,
// and drops what was written from the list. would_block: the rest waits for writability.
inline error_code write_now(tcp::socket& s, std::vector<asio::const_buffer>& buffers) {
  std::size_t first = 0;
  error_code ec;
  while (first < buffers.size()) {
    const std::size_t n =
        s.write_some(std::span<const asio::const_buffer>(buffers.data() + first, buffers.size() - first), ec);
    if (ec) break;
    // Drop what was written: whole buffers, then the front of a partial one.
    std::size_t left = n;
    while (first < buffers.size() && left >= buffers[first].size()) left -= buffers[first++].size();
    if (left > 0) buffers[first] += left;
  }
  buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(first));
  if (ec == asio::error::try_again) ec = asio::error::would_block;
  return ec;
}

// Writes all of `buffers` (a gather list); it is consumed in the process.
inline asio::awaitable<error_code> write_all(tcp::socket& s, std::vector<asio::const_buffer>& buffers) {
  for (;;) {
    const error_code ec = write_now(s, buffers);
    if (ec != asio::error::would_block) co_return ec;
    error_code wait_ec;
    co_await s.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, wait_ec));
    if (wait_ec) co_return wait_ec;
  }
}

inline asio::awaitable<error_code> write_all(tcp::socket& s, asio::const_buffer b) {
  std::vector<asio::const_buffer> one{b};
  co_return co_await write_all(s, one);
}

}  // namespace scalelab::balancer::io
