// MessageWriter puts a message on the wire in as few, and as contiguous, buffers as it
// can. Beast's serializer hands the socket one buffer per header field, and both
// walking that gather list and the kernel's per-segment work cost more than copying a
// few hundred bytes; on loopback that showed as a tenth of the proxy's CPU. Here the
// head is rendered into one string, small body pieces are copied after it, and only a
// large body piece goes out as a second buffer (no copy). Framing is ours too: raw
// bytes (Content-Length, or close-delimited) or chunked encoding.
//
// Writes go through the event loop's WriteBatch (write_batch.hpp): they leave together
// with the loop's other sends of the same turn.
//
// Contract: start() once, rendering the head (its fields final, including
// Transfer-Encoding for chunked) into the buffer it returns; then body() for each
// piece, `last` on the final one (an empty last piece is fine); send() after each
// start()/body() writes what is pending. A message without a body is start() then
// send().
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "balancer/socket_io.hpp"
#include "balancer/write_batch.hpp"

namespace scalelab::balancer {

class MessageWriter {
 public:
  enum class Framing { raw, chunked };

  explicit MessageWriter(WriteBatch& batch) : batch_(batch) {}

  // Starts a message with `f` framing for its body, and returns the buffer its head is
  // to be rendered into (forwarded_head.hpp), whole and final.
  std::string& start(Framing f) {
    reset(f);
    return out_;
  }

  // Frames `n` bytes at `data` (which must stay valid until flush()).
  void body(const char* data, std::size_t n, bool last);

  // Writes everything pending; the awaitable completes once it is written, or with
  // the error in `ec`. A socket's write joins the event loop's batch; any other sink
  // (the fuzz targets' in-memory one) must offer
  // `awaitable<void> write_all(std::vector<const_buffer>&, error_code&)`.
  template <class Sink>
  boost::asio::awaitable<void> send(Sink& s, io::error_code& ec) {
    gather();
    if constexpr (std::is_same_v<Sink, io::tcp::socket>)
      return batch_.write(s, buffers_, ec);
    else
      return s.write_all(buffers_, ec);
  }

 private:
  // Puts what is pending in the gather list, and marks it sent.
  void gather();
  void reset(Framing f) {
    framing_ = f;
    clear();
  }
  void clear() {
    out_.clear();
    big_ = {};
    tail_.clear();
    sent_ = false;
  }

  WriteBatch& batch_;
  bool sent_ = false;  // what is pending went out: clear before adding more
  Framing framing_ = Framing::raw;
  std::string out_;                // head, chunk lines and small pieces
  boost::asio::const_buffer big_;  // a large piece, written without copying
  std::string tail_;               // what follows the large piece
  std::vector<boost::asio::const_buffer> buffers_;  // the gather list being sent
};

}  // namespace scalelab::balancer
