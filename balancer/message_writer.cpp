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
  if (sent_) clear();
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

void MessageWriter::gather() {
  buffers_.clear();
  if (!out_.empty()) buffers_.emplace_back(out_.data(), out_.size());
  if (big_.size() > 0) buffers_.push_back(big_);
  if (!tail_.empty()) buffers_.emplace_back(tail_.data(), tail_.size());
  sent_ = true;  // cleared by the next body() or start(), once the write is done
}

}  // namespace scalelab::balancer
