// relay_message moves one HTTP message from a socket to another in bounded memory,
// whatever the size of its body. Beast's parser reads from the source into a small
// relay buffer (buffer_body) and a MessageWriter writes from it, so a body of any size
// passes through with the buffer's footprint, and its framing is re-encoded from what
// was parsed (never copied raw), so both sides agree where it ends. The same code
// serves requests (client -> upstream) and responses (upstream -> client).
//
// The caller sets a Deadline per phase through the `arm` callbacks; when it fires, the
// socket is cancelled and the pending wait ends with operation_aborted.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "balancer/message_writer.hpp"
#include "balancer/socket_io.hpp"
#include "common/http_framing.hpp"

namespace scalelab::balancer {

inline constexpr std::size_t kReadChunk = 16 * 1024;

enum class HeaderRead {
  ok,
  eof_before_any_byte,
  io_error,
  parse_error,    // Beast refused it; `ec` says why
  too_large,      // the header block passed `max_bytes`
  line_too_long,  // ...and its first line had not even ended
  bad_line,       // a line ended in a bare LF, which Beast would wait past for ever
};

// Reads until `parser` has a complete header of at most `max_bytes` in all (Beast
// 1.74 applies its own header_limit to the start line and to the fields separately,
// so a header can reach twice it). `got_bytes` tells whether any byte of this message
// arrived (an EOF before the first byte is a clean close, or an "empty response"
// upstream). Bytes past the header stay in `buffer`.
template <class Stream, class Parser>
boost::asio::awaitable<HeaderRead> read_header(Stream& s, boost::beast::flat_buffer& buffer, Parser& parser,
                                               io::error_code& ec, bool& got_bytes, std::size_t max_bytes) {
  namespace http = boost::beast::http;
  std::size_t consumed = 0;  // header bytes the parser has taken so far
  http_framing::PendingLine scan;
  for (;;) {
    if (buffer.size() > 0) {
      got_bytes = true;
      const std::size_t n = parser.put(buffer.data(), ec);
      buffer.consume(n);
      scan.consumed(n);
      consumed += n;
      if (!ec && parser.is_header_done()) co_return consumed > max_bytes ? HeaderRead::too_large : HeaderRead::ok;
      const std::string_view pending(static_cast<const char*>(buffer.data().data()), buffer.size());
      // Too large, and the first line never even ended: for a request, 414, not 431.
      const auto too_large = [&] {
        return consumed == 0 && pending.find("\r\n") == std::string_view::npos ? HeaderRead::line_too_long
                                                                              : HeaderRead::too_large;
      };
      if (ec == http::error::header_limit) co_return too_large();
      if (ec && ec != http::error::need_more) co_return HeaderRead::parse_error;
      if (!ec && n > 0) continue;  // progress without a complete header: parse on
      // The parser waits for more: what is buffered is the header so far.
      if (scan.check(pending, ~std::size_t{0}) == http_framing::Pending::bare_lf)
        co_return HeaderRead::bad_line;
      if (consumed + pending.size() > max_bytes) co_return too_large();
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

enum class RelayResult {
  done,
  read_error,
  write_error,
  parse_error,         // Beast refused the body's framing; `ec` says why
  chunk_line_too_long, // a chunk line or the trailers passed http_framing's bound
  bad_line,            // a chunk line or trailer ended in a bare LF
};

// Streams the body that `parser` is reading from `src` (its header already parsed) to
// `dst` through `writer`, which holds the rendered head: the first write carries the
// head together with the first body bytes. `arm_read` / `arm_write` are called before
// waiting on the source / the destination. `moved` counts body bytes.
template <bool isRequest, class SrcStream, class Allocator, class DstStream, class ArmRead, class ArmWrite>
boost::asio::awaitable<RelayResult> relay_message(
    SrcStream& src, boost::beast::flat_buffer& src_buffer,
    boost::beast::http::parser<isRequest, boost::beast::http::buffer_body, Allocator>& parser, DstStream& dst,
    MessageWriter& writer, char* relay, std::size_t relay_size, io::error_code& ec, std::uint64_t& moved,
    ArmRead arm_read, ArmWrite arm_write) {
  namespace http = boost::beast::http;
  auto& body = parser.get().body();
  http_framing::PendingLine scan;
  bool line_open = false;  // Beast waits for the end of a chunk line or of the trailers
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
        if (line_open) {
          // Beast parses an open chunk line or trailer block again from its first byte
          // at every put, and cannot finish it before a line end: wait for one, or a
          // line dripped a byte at a time costs time quadratic in its length.
          const std::string_view pending(static_cast<const char*>(src_buffer.data().data()), src_buffer.size());
          if (pending.substr(pending.size() - n).find('\n') == std::string_view::npos) {
            if (scan.check(pending) == http_framing::Pending::too_long) co_return RelayResult::chunk_line_too_long;
            need_read = true;
            continue;
          }
          line_open = false;
        }
      }
      const std::size_t n = parser.put(src_buffer.data(), ec);
      src_buffer.consume(n);
      scan.consumed(n);
      if (ec == http::error::need_buffer) {
        ec = {};
        break;
      }
      if (ec == http::error::need_more) {
        ec = {};
        // Beast needs a whole chunk line (or the whole trailer block) in one buffer
        // and sets no bound on it: bound it here.
        const std::string_view pending(static_cast<const char*>(src_buffer.data().data()), src_buffer.size());
        switch (scan.check(pending)) {
          case http_framing::Pending::ok: break;
          case http_framing::Pending::too_long: co_return RelayResult::chunk_line_too_long;
          case http_framing::Pending::bare_lf: co_return RelayResult::bad_line;
        }
        line_open = parser.chunked();
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
