// One keep-alive HTTP/1.1 connection to an S3 endpoint. Beast writes the requests and
// parses the answers; the socket waits through waits.hpp (net::WaitingSocket), so the
// S3 store is non-blocking on an event loop's fiber and blocking on a thread, with one
// implementation. blob_store_s3.cpp holds a bounded pool of these.
//
// Contracts:
//  - one request at a time; an answer is read whole before the next request is sent;
//  - any transport failure (connect, write, read, a timeout, an answer Beast cannot
//    parse) throws S3TransportError, after which the connection must be closed;
//  - reusable() is true only when the last answer asked for keep-alive and ended exactly
//    where its framing said, with no byte past it: a connection holding surplus bytes
//    would hand them to the next request as the start of its answer;
//  - every buffer has a bound: an answer's head (kMaxAnswerHead) and a whole answer's
//    body (kMaxAnswerBody; larger bodies are streamed, never held).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/waiting_socket.hpp"

namespace scalelab::store {

namespace s3http = boost::beast::http;

struct S3TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The header fields of a request, in the order they are sent.
using S3Fields = std::vector<std::pair<std::string, std::string>>;
// A whole answer: status, fields and a body of at most kMaxAnswerBody bytes.
using S3Answer = s3http::response<s3http::string_body>;
// The status and fields of an answer whose body is streamed.
using S3AnswerHead = s3http::response_header<>;

class S3Connection {
 public:
  static constexpr std::uint32_t kMaxAnswerHead = 16 * 1024;
  static constexpr std::uint64_t kMaxAnswerBody = 1024 * 1024;

  // Connects within `connect_timeout`; every later read or write may wait at most
  // `io_timeout`. Throws S3TransportError.
  S3Connection(const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout,
               std::chrono::milliseconds io_timeout);

  // Idle, still open, and nothing unread: safe to carry the next request.
  bool usable() const;
  // The last answer allowed the connection to carry another request.
  bool reusable() const { return reusable_; }

  // Sends a request with a whole body (Content-Length set when there is one, or for
  // POST and PUT) and reads the whole answer. A HEAD's answer has no body to read.
  S3Answer exchange(s3http::verb method, const std::string& target, const S3Fields& fields,
                    const std::string& body = {});

  // A request whose body the caller sends in pieces: the head, with Content-Length
  // `size`; then the body's bytes, exactly `size` of them; then the answer.
  void send_head(s3http::verb method, const std::string& target, const S3Fields& fields, std::uint64_t size);
  void send_body(const char* data, std::size_t size);
  S3Answer read_answer();

  // A bodiless request whose answer's body is streamed: sends it and reads the answer's
  // head; then read_body() fills `buf` with the next piece of the body, returning 0 once
  // the body has ended.
  const S3AnswerHead& start_streamed(s3http::verb method, const std::string& target, const S3Fields& fields);
  std::size_t read_body(char* buf, std::size_t size);

 private:
  // A new request: the last answer's state is gone.
  void begin(s3http::verb method);
  template <class Body>
  void send(s3http::request<Body>& request);
  S3Answer read_whole(bool head);
  void finish(bool keep_alive);

  net::WaitingSocket socket_;
  boost::beast::flat_buffer buffer_;
  std::optional<s3http::response_parser<s3http::buffer_body>> streamed_;
  bool reusable_ = false;
  bool head_ = false;  // the request in flight is a HEAD
};

}  // namespace scalelab::store
