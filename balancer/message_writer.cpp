// Contiguous message writing; see message_writer.hpp.
#include "balancer/message_writer.hpp"

#include <cstdio>

namespace scalelab::balancer {
namespace {
// Below this, a body piece is copied behind the head rather than sent as a segment.
constexpr std::size_t kCopyBelow = 4096;

void append_chunk_size(std::string& out, std::size_t n) {
  char line[24];
  const int len = std::snprintf(line, sizeof line, "%zx\r\n", n);
  out.append(line, static_cast<std::size_t>(len));
}
}  // namespace

void MessageWriter::body(const char* data, std::size_t n, bool last) {
  std::string& after = big_.size() > 0 ? tail_ : out_;
  if (n > 0) {
    if (framing_ == Framing::chunked) append_chunk_size(after, n);
    if (n < kCopyBelow || big_.size() > 0) {
      after.append(data, n);
    } else {
      big_ = boost::asio::const_buffer(data, n);
    }
    std::string& trailer = big_.size() > 0 ? tail_ : out_;
    if (framing_ == Framing::chunked) trailer += "\r\n";
  }
  if (last && framing_ == Framing::chunked) (big_.size() > 0 ? tail_ : out_) += "0\r\n\r\n";
}

io::error_code MessageWriter::write_now(io::tcp::socket& s) {
  buffers_.clear();
  if (!out_.empty()) buffers_.emplace_back(out_.data(), out_.size());
  if (big_.size() > 0) buffers_.push_back(big_);
  if (!tail_.empty()) buffers_.emplace_back(tail_.data(), tail_.size());
  io::error_code ec;
  if (!buffers_.empty()) ec = io::write_now(s, buffers_);
  if (ec == boost::asio::error::would_block) return ec;  // buffers_ holds the rest
  clear();
  return ec;
}

boost::asio::awaitable<io::error_code> MessageWriter::flush(io::tcp::socket& s) {
  const io::error_code ec = co_await io::write_all(s, buffers_);
  clear();
  co_return ec;
}

}  // namespace scalelab::balancer
