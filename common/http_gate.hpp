// A bounded, socket-free reader that stands in front of a lenient HTTP/1.1 server
// (cpp-httplib 0.11.4, which has no bound on a chunk line, reads a request without
// framing "until close", and grows a request line or a header block without limit).
// Client bytes go in, in any split; out comes either the same requests re-rendered in
// a form that server reads safely, or a refusal with the status and JSON body to
// answer. Beast's parser reads the requests; nothing here parses HTTP by hand.
//
// What comes out, per request:
//   - the head: the request line and the fields as parsed, then
//       Transfer-Encoding: chunked, or Content-Length: N (0 when the request had
//       neither: RFC 9112 §6.3 gives it an empty body, whatever the method);
//       Connection: close when the request ends the connection (Keep-Alive for an
//       HTTP/1.0 one that keeps it);
//       Range only as a valid byte range-set (common/http_range.hpp), canonical;
//       Expect never for HTTP/1.0 (no 100 Continue to a 1.0 client);
//   - the body: a Content-Length body as it came; a chunked one re-encoded as plain
//     chunks ("<hex>\r\n<data>\r\n", then "0\r\n\r\n"), extensions and trailers dropped.
// The output of a request is the same however its bytes were split.
//
// Bounds (a refusal names the first one crossed):
//   the head, request line to blank line, within max_header_bytes: 414 uri_too_long
//     when the request line has not ended within it, else 431 header_too_large;
//   a rendered request line or field line over max_line_bytes (the server's own
//     per-line limit): 414 uri_too_long or 431 header_too_large;
//   a chunk line or the trailer block: http_framing::check_pending, 400
//     chunk_line_too_long beyond kMaxPendingLine, 400 bad_request on a bare LF;
//   a bare LF anywhere in the head: 400 bad_request, at once;
//   the head rules of common/http_request_rules.hpp (400, 501, 505);
//   any other fault in a chunked body: 400 bad_request.
// The refusal's status and error are the same for every split too; its reason (and
// detail) name whichever fault showed first.
// The gate holds at most the head limit, or one chunk line, plus what it was fed in
// one go. Body sizes are the server's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "common/http_framing.hpp"
#include "common/http_request_rules.hpp"

namespace scalelab::http_gate {

struct Limits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + fields + the blank line
  std::size_t max_line_bytes = 8192;         // one rendered line, CRLF included
  std::size_t max_chunk_line = http_framing::kMaxPendingLine;
};

// A refused request: the answer, and the reason it is counted under (a Prometheus
// label, one of kRefusalReasons). The reason can be finer than the answer's error.
struct Refusal {
  http_rules::Rejection answer;
  std::string reason;
};

// Every reason a Refusal may carry, for initialising labelled counters.
inline constexpr const char* kRefusalReasons[] = {
    "uri_too_long", "header_too_large", "bare_lf",       "chunk_line_too_long", "bad_request",
    "bad_framing",  "unsupported_transfer_encoding",     "bad_host",            "bad_target",
    "method_not_supported", "http_version_not_supported", "body_too_large", "partial_head"};

class RequestGate {
 public:
  explicit RequestGate(Limits limits = {});
  RequestGate(const RequestGate&) = delete;  // the parser's callbacks point into it
  RequestGate& operator=(const RequestGate&) = delete;

  // Client bytes, in any split. Ignored once refused.
  void feed(std::string_view bytes);
  // The client will send nothing more. Inside a head that has begun this is a refusal
  // (400 partial_head, for a client that half-closed); anywhere else the output just
  // ends, and the server sees its input end there.
  void feed_eof();

  // Re-rendered bytes of the current request not taken yet.
  std::string_view output() const { return std::string_view(out_).substr(out_pos_); }
  void consume(std::size_t n);

  // The current request has been rendered to its last byte (taken or not).
  bool request_done() const { return state_ == State::done; }
  // Some byte of the current request has arrived.
  bool request_started() const { return started_; }
  // The current request's method is HEAD (known once its head has been parsed).
  bool is_head_request() const { return head_method_ == "HEAD"; }
  // Input that arrived and is not yet the current request's output (a pipelined
  // request, or the rest of a line).
  std::size_t buffered() const { return in_.size() - in_pos_; }
  bool at_eof() const { return eof_; }

  const std::optional<Refusal>& refusal() const { return refusal_; }

  // Moves to the next request: drops whatever of the current one's output is left, and
  // reads the next from what is buffered. Requires request_done().
  void next_request();

 private:
  enum class State { head, body_length, body_chunked, done, refused };

  void advance();
  bool parse_head();
  bool parse_chunked();
  bool refuse_pending_line(std::string_view pending);
  bool refuse_request_line(std::string_view head);
  bool refuse_oversized_head(std::string_view window);
  void render_head();
  void refuse(unsigned status, std::string error, std::string detail, std::string reason);
  void refuse(const http_rules::Rejection& r);
  std::string_view input() const { return std::string_view(in_).substr(in_pos_); }
  void take_input(std::size_t n);
  void emit(std::string_view bytes) { out_.append(bytes); }

  Limits limits_;
  State state_ = State::head;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
  std::size_t out_pos_ = 0;
  std::optional<http_rules::RequestParser> parser_;
  std::optional<Refusal> refusal_;
  bool started_ = false;
  bool eof_ = false;
  bool keep_alive_ = true;
  std::string head_method_;
  std::uint64_t body_left_ = 0;   // of a Content-Length body
  std::uint64_t chunk_left_ = 0;  // of the chunk being read; 0 between chunks
  bool last_chunk_waiting_ = false;  // the parser waits for the trailers
  bool data_chunk_seen_ = false;     // a chunk with data came before
  std::size_t probed_ = 0;        // the head bytes the last start-line probe saw
  int blank_lines_ = 0;           // skipped before the current request
  std::function<void(std::uint64_t, boost::beast::string_view, boost::system::error_code&)> on_chunk_header_;
  std::function<std::size_t(std::uint64_t, boost::beast::string_view, boost::system::error_code&)> on_chunk_body_;
};

}  // namespace scalelab::http_gate
