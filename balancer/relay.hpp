// Why this file exists: moving one HTTP message from a socket to another, in bounded
// memory. Beast's parser reads from the source into a small relay buffer (buffer_body)
// and a MessageWriter writes from it, so a body of any size passes through with the
// buffer's footprint, and its framing is re-encoded from what was parsed (never copied
// raw), so both sides agree where it ends. The same
// code serves requests (client -> upstream) and responses (upstream -> client).
//
// The caller sets a Deadline per phase through the `arm` callbacks; when it fires, the
// socket is cancelled and the pending wait ends with operation_aborted.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <vector>

#include "balancer/message_writer.hpp"
#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

inline constexpr std::size_t kReadChunk = 16 * 1024;

enum class HeaderRead { ok, eof_before_any_byte, io_error, parse_error };

// Reads until `parser` has a complete header. `got_bytes` tells whether any byte of
// this message arrived (an EOF before the first byte is a clean close, or an "empty
// response" upstream). Bytes past the header stay in `buffer`.
template <class Parser>
boost::asio::awaitable<HeaderRead> read_header(io::tcp::socket& s, boost::beast::flat_buffer& buffer, Parser& parser,
                                               io::error_code& ec, bool& got_bytes) {
  namespace http = boost::beast::http;
  for (;;) {
    if (buffer.size() > 0) {
      got_bytes = true;
      const std::size_t n = parser.put(buffer.data(), ec);
      buffer.consume(n);
      if (!ec && parser.is_header_done()) co_return HeaderRead::ok;
      if (ec && ec != http::error::need_more) co_return HeaderRead::parse_error;
      if (!ec && n > 0) continue;  // progress without a complete header: parse on
    }
    ec = {};
    const std::size_t n = co_await io::read_some(s, buffer.prepare(kReadChunk), ec);
    buffer.commit(n);
    if (ec == boost::asio::error::eof) {
      if (!got_bytes && buffer.size() == 0) co_return HeaderRead::eof_before_any_byte;
      ec = http::error::partial_message;
      co_return HeaderRead::parse_error;
    }
    if (ec) co_return HeaderRead::io_error;
  }
}

enum class RelayResult { done, read_error, write_error, parse_error };

// Streams the body that `parser` is reading from `src` (its header already parsed) to
// `dst` through `writer`, which holds the rendered head: the first write carries the
// head together with the first body bytes. `arm_read` / `arm_write` are called before
// waiting on the source / the destination. `moved` counts body bytes.
template <bool isRequest, class Allocator, class ArmRead, class ArmWrite>
boost::asio::awaitable<RelayResult> relay_message(
    io::tcp::socket& src, boost::beast::flat_buffer& src_buffer,
    boost::beast::http::parser<isRequest, boost::beast::http::buffer_body, Allocator>& parser, io::tcp::socket& dst,
    MessageWriter& writer, char* relay, std::size_t relay_size, io::error_code& ec, std::uint64_t& moved,
    ArmRead arm_read, ArmWrite arm_write) {
  namespace http = boost::beast::http;
  auto& body = parser.get().body();
  if (parser.is_done()) writer.body(nullptr, 0, true);  // no body: the head alone
  while (!parser.is_done()) {
    body.data = relay;
    body.size = relay_size;
    // Parse what is already buffered; read from the socket only when that yields
    // nothing, so a small message needs no extra wait.
    bool need_read = src_buffer.size() == 0;
    while (!parser.is_done() && body.size > 0) {
      if (need_read) {
        if (body.size < relay_size) break;  // send what we have first
        arm_read();
        const std::size_t n = co_await io::read_some(src, src_buffer.prepare(kReadChunk), ec);
        src_buffer.commit(n);
        if (ec == boost::asio::error::eof) {
          parser.put_eof(ec);  // ends a close-delimited body; anything else is truncated
          if (ec) co_return RelayResult::read_error;
          break;
        }
        if (ec) co_return RelayResult::read_error;
        need_read = false;
      }
      const std::size_t n = parser.put(src_buffer.data(), ec);
      src_buffer.consume(n);
      if (ec == http::error::need_buffer) {
        ec = {};
        break;
      }
      if (ec == http::error::need_more) {
        ec = {};
        need_read = true;
        continue;
      }
      if (ec) co_return RelayResult::parse_error;
      if (n == 0 || src_buffer.size() == 0) need_read = true;
    }
    const std::size_t produced = relay_size - body.size;
    moved += produced;
    if (produced == 0 && !parser.is_done()) continue;
    writer.body(relay, produced, parser.is_done());
    if (!parser.is_done()) {
      arm_write();
      co_await writer.send(dst, ec);
      if (ec) co_return RelayResult::write_error;
    }
  }
  arm_write();
  co_await writer.send(dst, ec);
  co_return ec ? RelayResult::write_error : RelayResult::done;
}

}  // namespace scalelab::balancer
