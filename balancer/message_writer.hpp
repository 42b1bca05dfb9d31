// Why this file exists: writing a message out in as few, as contiguous, buffers as
// possible. Beast's serializer hands the socket one buffer per header field, and both
// walking that gather list and the kernel's per-segment work cost more than copying a
// few hundred bytes; on loopback that showed as a tenth of the proxy's CPU. Here the
// head is rendered into one string, small body pieces are copied after it, and only a
// large body piece goes out as a second buffer (no copy). Framing is ours too: raw
// bytes (Content-Length, or close-delimited) or chunked encoding.
//
// Contract: start() once with the head (its fields already final, including
// Transfer-Encoding for chunked); then body() for each piece, `last` on the final one
// (an empty last piece is fine); flush() after each start()/body() writes what is
// pending. A message without a body is start() then flush().
#pragma once

#include <boost/beast/http/message.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

class MessageWriter {
 public:
  enum class Framing { raw, chunked };

  template <class Fields>
  void start(const boost::beast::http::request_header<Fields>& h, Framing f) {
    reset(f);
    append(h.method_string());
    out_ += ' ';
    append(h.target());
    out_ += h.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
    fields(h);
  }

  template <class Fields>
  void start(const boost::beast::http::response_header<Fields>& h, Framing f) {
    reset(f);
    out_ += h.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(h.result_int());
    out_ += ' ';
    if (h.reason().empty())
      append(boost::beast::http::obsolete_reason(h.result()));
    else
      append(h.reason());
    out_ += "\r\n";
    fields(h);
  }

  // Frames `n` bytes at `data` (which must stay valid until flush()).
  void body(const char* data, std::size_t n, bool last);

  // Writes everything pending.
  boost::asio::awaitable<io::error_code> flush(io::tcp::socket& s);

 private:
  template <class Header>
  void fields(const Header& h) {
    for (const auto& f : h) {
      append(f.name_string());
      out_ += ": ";
      append(f.value());
      out_ += "\r\n";
    }
    out_ += "\r\n";
  }
  void append(boost::beast::string_view s) { out_.append(s.data(), s.size()); }
  void reset(Framing f) {
    framing_ = f;
    out_.clear();
    big_ = {};
    tail_.clear();
  }

  Framing framing_ = Framing::raw;
  std::string out_;                // head, chunk lines and small pieces
  boost::asio::const_buffer big_;  // a large piece, written without copying
  std::string tail_;               // what follows the large piece
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace scalelab::balancer
