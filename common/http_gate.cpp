// The request gate; its contract is in http_gate.hpp. Two choices keep its output the
// same for every split of the input, which the unit tests and the fuzz target check:
//   - Beast sees a head only once the whole head is there (or the limit is reached),
//     so a verdict never depends on how much of it had arrived. A probe of the request
//     line alone still refuses garbage (a TLS hello, say) as soon as it shows.
//   - The parser runs in non-eager mode, one step per put(), and a chunk line is
//     offered at most max_chunk_line bytes: Beast itself sets no bound on chunk lines
//     or trailers, and with more bytes at hand it would accept a longer one.
#include "common/http_gate.hpp"

#include <algorithm>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "common/http_range.hpp"

namespace scalelab::http_gate {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kCrlf = "\r\n";
constexpr int kMaxBlankLines = 4;  // RFC 9112 §2.2: ignore at least one before a request

std::string_view sv(boost::beast::string_view s) { return std::string_view(s.data(), s.size()); }

std::string hex(std::uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n & 15]);
    n >>= 4;
  } while (n != 0);
  return out;
}

// A Range value as cpp-httplib reads it without a 416 of its own, when it is a valid
// byte range-set (common/http_range.hpp): "bytes=" and the specs joined by commas,
// without blanks or empty elements, each position at most 18 digits (cpp-httplib
// reads them with std::stoll; a larger one only ever meant "past any end").
std::optional<std::string> canonical_range(std::string_view value) {
  const auto specs = http_range::parse(value);
  if (!specs) return std::nullopt;
  auto position = [](std::uint64_t v) { return std::to_string(std::min<std::uint64_t>(v, 999'999'999'999'999'999)); };
  std::string out = "bytes=";
  for (const auto& spec : *specs) {
    if (out.size() > 6) out += ',';
    if (!spec.first) {
      out += "-" + position(spec.suffix);
    } else {
      out += position(*spec.first) + "-";
      if (spec.last) out += position(*spec.last);
    }
  }
  return out;
}

void configure(http_rules::RequestParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  // Beast 1.74 compares an unset (boost::none) body limit as "exceeded" for any
  // Content-Length, so the absence of a limit is spelled as the largest one.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.eager(false);
}

}  // namespace

RequestGate::RequestGate(Limits limits) : limits_(limits) {
  on_chunk_header_ = [this](std::uint64_t size, boost::beast::string_view, boost::system::error_code&) {
    if (size == 0) return;  // the last chunk: written once the trailers have ended
    chunk_left_ = size;
    data_chunk_seen_ = true;
    emit(hex(size));
    emit(kCrlf);
  };
  on_chunk_body_ = [this](std::uint64_t remain, boost::beast::string_view body, boost::system::error_code&) {
    emit(sv(body));
    chunk_left_ = remain - body.size();
    if (chunk_left_ == 0) emit(kCrlf);
    return body.size();
  };
}

void RequestGate::feed(std::string_view bytes) {
  if (state_ == State::refused || eof_) return;
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  in_.append(bytes);
  advance();
}

void RequestGate::feed_eof() {
  eof_ = true;
  advance();
}

void RequestGate::consume(std::size_t n) {
  out_pos_ += std::min(n, out_.size() - out_pos_);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
}

void RequestGate::next_request() {
  if (state_ != State::done) return;
  out_.clear();
  out_pos_ = 0;
  parser_.reset();
  state_ = State::head;
  started_ = false;
  keep_alive_ = true;
  head_method_.clear();
  body_left_ = chunk_left_ = 0;
  last_chunk_waiting_ = false;
  data_chunk_seen_ = false;
  probed_ = 0;
  blank_lines_ = 0;
  advance();
}

void RequestGate::take_input(std::size_t n) {
  in_pos_ += n;
  if (in_pos_ >= in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
}

void RequestGate::advance() {
  for (bool progressed = true; progressed;) {
    switch (state_) {
      case State::head: progressed = parse_head(); break;
      case State::body_length: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input().size()));
        emit(input().substr(0, n));
        take_input(n);
        body_left_ -= n;
        if (body_left_ == 0) state_ = State::done;
        progressed = false;
        break;
      }
      case State::body_chunked: progressed = parse_chunked(); break;
      case State::done:
      case State::refused: progressed = false; break;
    }
  }
  if (eof_ && state_ == State::head && started_)
    refuse(400, "bad_request", "the connection ended inside the request head", "partial_head");
}

bool RequestGate::parse_head() {
  std::string_view in = input();
  while (!started_ && blank_lines_ < kMaxBlankLines && in.starts_with(kCrlf)) {
    take_input(kCrlf.size());
    ++blank_lines_;
    in = input();
  }
  if (in.empty() || (!started_ && blank_lines_ < kMaxBlankLines && in == "\r")) return false;
  started_ = true;

  // The verdicts come in a fixed order, so they do not depend on how the bytes were
  // split: the request line, then a bare LF anywhere in the head, then the size.
  const std::string_view window = in.substr(0, limits_.max_header_bytes);
  const std::size_t end = window.find("\r\n\r\n");
  const std::string_view head = end == std::string_view::npos ? window : window.substr(0, end + 4);
  if (refuse_request_line(head)) return true;
  if (http_framing::has_bare_lf(head)) {
    refuse(400, "bad_request", "a line of the request head ends in a bare LF", "bare_lf");
    return true;
  }
  if (end == std::string_view::npos) return refuse_oversized_head(window);

  parser_.emplace();
  configure(*parser_, limits_);
  parser_->on_chunk_header(on_chunk_header_);
  parser_->on_chunk_body(on_chunk_body_);
  boost::system::error_code ec;
  const std::size_t used = parser_->put(boost::asio::const_buffer(head.data(), head.size()), ec);
  if (ec && ec != http::error::need_more) {
    refuse(http_rules::reject_parse_error(ec, head));
    return true;
  }
  if (!parser_->is_header_done() || used != head.size()) {
    refuse(400, "bad_request", "malformed request head", "bad_request");
    return true;
  }
  head_method_ = std::string(sv(parser_->get().method_string()));
  if (auto rejection = http_rules::validate_request_head(*parser_)) {
    refuse(*rejection);
    return true;
  }
  take_input(used);
  render_head();
  if (state_ == State::refused) return true;
  if (parser_->chunked()) {
    state_ = State::body_chunked;
  } else {
    body_left_ = parser_->content_length().value_or(0);
    state_ = body_left_ > 0 ? State::body_length : State::done;
  }
  return true;
}

bool RequestGate::refuse_request_line(std::string_view head) {
  const std::size_t line_end = head.find(kCrlf);
  const bool full = head.size() >= limits_.max_header_bytes;
  // Probe the request line on its own: when it ends, when the window fills, and each
  // time what arrived has doubled (so a drip costs linear time).
  const std::string_view line = line_end == std::string_view::npos ? head : head.substr(0, line_end + 2);
  if (line.size() <= probed_ || (line_end == std::string_view::npos && !full && line.size() < 2 * probed_)) return false;
  probed_ = line.size();
  http_rules::RequestParser probe;
  configure(probe, limits_);
  boost::system::error_code ec;
  probe.put(boost::asio::const_buffer(line.data(), line.size()), ec);
  if (!ec || ec == http::error::need_more || ec == http::error::header_limit) return false;
  // A version is judged on the whole line: HTTP/2.0 is 505, HTTP/2.0x is 400.
  if (ec == http::error::bad_version && line_end == std::string_view::npos && !full) return false;
  refuse(http_rules::reject_parse_error(ec, line));
  return true;
}

bool RequestGate::refuse_oversized_head(std::string_view window) {
  if (window.size() < limits_.max_header_bytes) return false;
  const std::string limit = std::to_string(limits_.max_header_bytes);
  if (window.find(kCrlf) == std::string_view::npos)
    refuse(414, "uri_too_long", "the request line is longer than " + limit + " bytes", "uri_too_long");
  else
    refuse(431, "header_too_large", "the request head is larger than " + limit + " bytes", "header_too_large");
  return true;
}

void RequestGate::render_head() {
  const auto& req = parser_->get();
  const bool http10 = req.version() == 10;
  keep_alive_ = parser_->keep_alive();
  const std::string max_line = std::to_string(limits_.max_line_bytes);

  std::string head;
  head.append(sv(req.method_string())).append(" ").append(sv(req.target())).append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  if (head.size() > limits_.max_line_bytes) {
    refuse(414, "uri_too_long", "the request line is longer than " + max_line + " bytes", "uri_too_long");
    return;
  }
  // Range passes only alone and valid; anything else is ignored (RFC 9110 §14.2).
  std::optional<std::string> range;
  if (req.count(http::field::range) == 1) range = canonical_range(sv(req[http::field::range]));

  for (const auto& f : req) {
    switch (f.name()) {
      case http::field::content_length:
      case http::field::transfer_encoding:
      case http::field::connection:
      case http::field::range: continue;  // rendered below, from what the parser decided
      case http::field::expect:
        if (http10) continue;
        break;
      default: break;
    }
    const std::size_t before = head.size();
    head.append(sv(f.name_string())).append(": ").append(sv(f.value())).append(kCrlf);
    if (head.size() - before > limits_.max_line_bytes) {
      refuse(431, "header_too_large", "a header line is longer than " + max_line + " bytes", "header_too_large");
      return;
    }
  }
  if (parser_->chunked())
    head += "Transfer-Encoding: chunked\r\n";
  else
    head += "Content-Length: " + std::to_string(parser_->content_length().value_or(0)) + "\r\n";
  if (!keep_alive_)
    head += "Connection: close\r\n";
  else if (http10)
    head += "Connection: Keep-Alive\r\n";
  if (range) head += "Range: " + *range + "\r\n";
  head += kCrlf;
  emit(head);
}

bool RequestGate::parse_chunked() {
  const std::string_view in = input();
  if (in.empty()) return false;
  const bool at_line = chunk_left_ == 0;  // a chunk line, or the last one and the trailers
  // Beast asserts that a last chunk whose trailers it waits for comes back with at
  // least 5 bytes: always true after a data chunk ("\r\n0\r\n"), not for a body
  // that is only "0\r\n...". Until then only the pending bytes are judged.
  if (at_line && last_chunk_waiting_ && in.size() < 5) return refuse_pending_line(in);
  const std::string_view offered = at_line ? in.substr(0, limits_.max_chunk_line) : in;
  boost::system::error_code ec;
  const std::size_t used = parser_->put(boost::asio::const_buffer(offered.data(), offered.size()), ec);
  // Waiting although the first line has ended: it was the last chunk, and the trailers
  // follow. (After a data chunk the pending bytes start with its CRLF instead.)
  last_chunk_waiting_ =
      ec == http::error::need_more && !data_chunk_seen_ && offered.substr(used).find(kCrlf) != std::string_view::npos;
  if (at_line && http_framing::has_bare_lf(offered.substr(0, used))) {
    refuse(400, "bad_request", "a chunk line or trailer ends in a bare LF", "bare_lf");
    return true;
  }
  // Where Beast waits for the end of a line, everything it left is that line so far.
  const bool refused = ec == http::error::need_more && refuse_pending_line(offered.substr(used));
  take_input(used);
  if (ec == http::error::need_more || refused) return refused;
  if (ec) {
    // One answer for every fault in a chunked body (a Content-Length among the
    // trailers included), so it cannot depend on whether a bare LF showed first.
    refuse(400, "bad_request", "malformed chunked body: " + ec.message(), "bad_request");
    return true;
  }
  if (parser_->is_done()) {
    emit("0\r\n\r\n");
    state_ = State::done;
    return true;
  }
  return used > 0;
}

bool RequestGate::refuse_pending_line(std::string_view pending) {
  switch (http_framing::check_pending(pending, limits_.max_chunk_line)) {
    case http_framing::Pending::ok: return false;
    case http_framing::Pending::bare_lf:
      refuse(400, "bad_request", "a chunk line or trailer ends in a bare LF", "bare_lf");
      return true;
    case http_framing::Pending::too_long:
      refuse(400, "chunk_line_too_long",
             "a chunk line or the trailers are longer than " + std::to_string(limits_.max_chunk_line) + " bytes",
             "chunk_line_too_long");
      return true;
  }
  return false;
}

void RequestGate::refuse(unsigned status, std::string error, std::string detail, std::string reason) {
  state_ = State::refused;
  refusal_ = Refusal{{status, std::move(error), std::move(detail)}, std::move(reason)};
}

void RequestGate::refuse(const http_rules::Rejection& r) {
  state_ = State::refused;
  refusal_ = Refusal{r, r.error};
}

}  // namespace scalelab::http_gate
