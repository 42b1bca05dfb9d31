// A client that speaks raw bytes to a server on 127.0.0.1, for what no HTTP library
// sends on purpose: requests cut in parts, missing framing, half-closes, floods. Used
// by the app's, the lab's and the common tests alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace scalelab::testkit {

// Sends `bytes` on a fresh connection to 127.0.0.1:port, optionally half-closes, and
// returns what the server answered: until it closes, `timeout_ms` passes with no
// answer, or 300 ms pass in silence after the answer began.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, bool half_close = false, int timeout_ms = 3000);

// One response as it came off a raw connection.
struct RawResponse {
  int status = 0;
  std::string head;  // the status line and header fields, as received
  std::string body;  // decoded when chunked
  // The first value of header `name` (any case), or "" when absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

// A client connection driven byte by byte, for requests sent in parts.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);  // connect() failing leaves it closed
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool send(const std::string& bytes);  // false once the server stopped taking them
  void shutdown_write();                 // a half-close: the request is complete
  bool readable_within(int timeout_ms);  // an answer (or a close) has begun
  std::string read_answer(int timeout_ms = 3000);  // as raw_exchange; closes
  // Reads exactly one response, framed by its Content-Length or chunked encoding (no
  // body for HEAD or when `head_only`), leaving whatever follows it buffered. nullopt
  // when the connection closed or went silent for `timeout_ms` before it was whole.
  std::optional<RawResponse> read_response(bool head_only = false, int timeout_ms = 3000);
  // What arrived after the responses read so far, waiting `quiet_ms` for more: a
  // server that keeps to its framing leaves nothing here.
  std::string extra_bytes(int quiet_ms = 300);
  // True when the server closed the connection (within `timeout_ms`).
  bool closed_within(int timeout_ms);

 private:
  bool fill(int timeout_ms);  // reads more into buffer_; false on close or timeout
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// The status code of the first response in `raw`, or 0.
int status_of(const std::string& raw);

// Sends `head`, then `filler` bytes that never end a line (up to `total`, 1 MiB at a
// time) while watching for an answer; stops sending as soon as one begins, or the
// server stops taking bytes.
struct FloodResult {
  std::string answer;                 // what the server said, if anything
  std::chrono::milliseconds answered_after{-1};  // from the first byte; -1: no answer
  std::size_t sent = 0;               // bytes the server took, head included
};
FloodResult flood_line(std::uint16_t port, const std::string& head, std::size_t total, char filler = 'f',
                       std::chrono::milliseconds answer_timeout = std::chrono::seconds(20));

}  // namespace scalelab::testkit
