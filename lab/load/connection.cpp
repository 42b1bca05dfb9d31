// The request/response cycle of connection.hpp. Errors come back as values
// (redirect_error) rather than exceptions: refused and reset connections are routine in
// chaos experiments, and throwing per failure would distort the very rates measured.
#include "lab/load/connection.hpp"

#include <array>
#include <boost/beast/http/error.hpp>

#include "lab/load/response_parser.hpp"

namespace scalelab::load {
namespace asio = boost::asio;
constexpr std::size_t kReadChunk = 16 * 1024;
namespace http = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;

Connection::Connection(asio::io_context& io, asio::ip::tcp::endpoint target, ConnectionLimits limits)
    : socket_(io), target_(target), limits_(limits) {}

void Connection::enforce_deadline(Clock::time_point now) {
  if (deadline_ <= now && socket_.is_open()) {
    timed_out_ = true;
    close();
  }
}

void Connection::abort() {
  aborted_ = true;
  close();
}

void Connection::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  buffer_.clear();
  reused_ = false;
}

Transport Connection::classify(const boost::system::error_code& ec) const {
  if (timed_out_ || ec == asio::error::timed_out) return Transport::timeout;
  if (ec == asio::error::connection_refused) return Transport::refused;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::eof ||
      ec == asio::error::connection_aborted || ec == http::error::end_of_stream || ec == http::error::partial_message)
    return Transport::reset;
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) return Transport::protocol;
  return Transport::other;
}

asio::awaitable<void> Connection::exchange(std::string_view head, std::string_view body, Response& out) {
  for (int attempt = 0;; ++attempt) {
    out.clear();
    timed_out_ = false;
    if (aborted_) {
      out.aborted = true;
      co_return;
    }
    if (!socket_.is_open()) {
      boost::system::error_code ec;
      socket_.open(asio::ip::tcp::v4(), ec);
      if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ec);
      if (!ec) socket_.non_blocking(true, ec);  // the direct write below must never block
      if (!ec) {
        deadline_ = Clock::now() + limits_.connect_timeout;
        co_await socket_.async_connect(target_, redirect_error(use_awaitable, ec));
        deadline_ = Clock::time_point::max();
        ++connects_;
      }
      if (ec) {
        out.aborted = aborted_;
        out.transport = classify(ec);
        close();
        co_return;
      }
    }
    // Bytes that arrived on an idle connection answer nothing we sent: start afresh.
    if (reused_ && socket_.is_open()) {
      boost::system::error_code ignored;
      if (socket_.available(ignored) > 0) {
        close();
        continue;
      }
    }
    const bool was_reused = reused_;
    deadline_ = Clock::now() + limits_.response_timeout;
    boost::system::error_code ec;
    // Write at once when the socket has room (it nearly always has), as wrk does; only
    // what does not fit goes through the event loop.
    const std::array<asio::const_buffer, 2> request{asio::buffer(head.data(), head.size()),
                                                    asio::buffer(body.data(), body.size())};
    std::size_t sent = socket_.write_some(request, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      sent = 0;
    }
    if (!ec && sent < head.size() + body.size()) {
      const std::array<asio::const_buffer, 2> rest{
          asio::buffer(head.data() + std::min(sent, head.size()), head.size() - std::min(sent, head.size())),
          asio::buffer(body.data() + (sent - std::min(sent, head.size())),
                       body.size() - (sent - std::min(sent, head.size())))};
      co_await asio::async_write(socket_, rest, redirect_error(use_awaitable, ec));
    }
    bool got_bytes = false;
    if (!ec) {
      // Beast's http::async_read, flattened into this coroutine: read what is there,
      // feed the parser, repeat, without two composed operations per read.
      ResponseParser parser(out, limits_.body_limit);
      for (;;) {
        if (buffer_.size() > 0) {
          const std::size_t used = parser.feed(buffer_.data(), ec);
          buffer_.consume(used);
          if (!ec && parser.is_done()) break;
          if (ec && ec != http::error::need_more) break;
          ec = {};
          if (used > 0 && buffer_.size() > 0) continue;  // e.g. the header parsed, body bytes left
        }
        const std::size_t n =
            co_await socket_.async_read_some(buffer_.prepare(kReadChunk), redirect_error(use_awaitable, ec));
        if (ec == asio::error::eof) {
          // A response delimited by the close of the connection ends here; else it was cut.
          if (!parser.got_some()) {
            ec = http::error::end_of_stream;
            break;
          }
          ec = {};
          parser.feed_eof(ec);
          if (!ec && !parser.is_done()) ec = http::error::partial_message;
          break;
        }
        if (ec) break;
        buffer_.commit(n);
      }
      got_bytes = parser.got_some();
    }
    deadline_ = Clock::time_point::max();
    if (!ec) {
      reused_ = true;
      // Bytes past the end of the response are no answer to anything we sent (we never
      // pipeline): reading them as the next response would pin one answer on another
      // request. The connection is not reused.
      if (!out.keep_alive || buffer_.size() > 0) close();
      co_return;
    }
    const Transport kind = classify(ec);
    close();
    if (aborted_) {
      out.clear();
      out.aborted = true;
      co_return;
    }
    if (kind == Transport::reset && was_reused && !got_bytes && attempt == 0) continue;  // stale keep-alive
    out.clear();
    out.transport = kind;
    co_return;
  }
}

}  // namespace scalelab::load
