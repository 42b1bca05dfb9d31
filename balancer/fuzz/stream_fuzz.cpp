// libFuzzer target for the balancer's streaming paths: the bytes of one request (or
// one response) are fed in pieces of the fuzzer's choosing through the very functions
// a proxy session runs, read_header() and relay_message() (relay.hpp), with the
// proxy's MessageWriter re-framing it into memory, and then again as one piece. What must hold for any input:
//  - splitting never makes a message acceptable that whole is not, and when both are
//    relayed, the head and the body sent on are identical (the only thing a split may
//    change is a refusal for a line or header too long, which buffering sees earlier);
//  - what is sent on parses back as exactly one message, with the body relayed;
//  - the input buffer never grows past its bound, however the lines are cut;
//  - no crash or sanitizer report.
// Input: byte 0 picks the direction (bit 0: response; bit 1: answer to HEAD), byte 1
// gives the number S of split sizes that follow (each byte b: a piece of b + 1 bytes,
// used in turn), the rest is the message.
// Built with clang only: `ninja -C build balancer_fuzz_stream`, then e.g.
//   build/bin/balancer_fuzz_stream -max_len=65536 -max_total_time=60
#include "common/asio.hpp"  // first: Asio 1.74 needs <utility> before its own headers

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/forwarded_head.hpp"
#include "balancer/relay.hpp"
#include "balancer/request_parser.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace scalelab::balancer;

constexpr std::size_t kMaxHeader = 4096;
constexpr std::size_t kRelaySize = 32 * 1024;
// The most the input buffer may hold: a header or a pending line at its bound, plus
// one read past it. flat_buffer rounds its capacity up; twice that is the ceiling.
constexpr std::size_t kBufferCeiling = 2 * (scalelab::http_framing::kMaxPendingLine + kReadChunk);

// An in-memory source whose reads return the pieces it was given, one at a time.
class PieceSource {
 public:
  using executor_type = asio::any_io_executor;
  PieceSource(executor_type ex, std::vector<std::string_view> pieces) : ex_(std::move(ex)), pieces_(std::move(pieces)) {}
  executor_type get_executor() const { return ex_; }

  template <class Token>
  auto async_read_some(asio::mutable_buffer b, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this, b](auto handler) {
          boost::system::error_code ec;
          std::size_t n = 0;
          if (next_ >= pieces_.size()) {
            ec = asio::error::eof;
          } else {
            std::string_view& piece = pieces_[next_];
            n = std::min(piece.size(), b.size());
            std::memcpy(b.data(), piece.data(), n);
            piece.remove_prefix(n);
            if (piece.empty()) ++next_;
          }
          asio::post(ex_, [h = std::move(handler), ec, n]() mutable { h(ec, n); });
        },
        token);
  }

 private:
  executor_type ex_;
  std::vector<std::string_view> pieces_;
  std::size_t next_ = 0;
};

// Where a run's output goes: memory. With no socket in the loop, Asio never starts its
// reactor, and a run costs no system call (an epoll_wait per turn was most of the time).
struct MemorySink {
  std::string out;
  asio::awaitable<void> write_all(std::vector<asio::const_buffer>& buffers, boost::system::error_code& ec) {
    for (const auto& b : buffers) out.append(static_cast<const char*>(b.data()), b.size());
    buffers.clear();
    ec = {};
    co_return;
  }
};

enum class End { header_refused, header_too_large, relayed, relay_too_long, relay_failed };

struct Run {
  End end = End::header_refused;
  std::string out;  // what was sent on
  std::uint64_t moved = 0;
  std::size_t buffer_capacity = 0;
};

template <bool isRequest, class Parser>
asio::awaitable<void> pass(PieceSource& src, Parser& parser, MemorySink& dst, WriteBatch& batch,
                           bool head, Run& run) {
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  bool got = false;
  const HeaderRead hr = co_await read_header(src, buffer, parser, ec, got, kMaxHeader);
  run.buffer_capacity = buffer.capacity();
  if (hr == HeaderRead::too_large || hr == HeaderRead::line_too_long) run.end = End::header_too_large;
  if (hr != HeaderRead::ok) co_return;
  MessageWriter writer(batch);
  if constexpr (isRequest) {
    if (validate_request_head(parser)) co_return;
    const auto retarget_to = retarget(parser.get());
    std::optional<std::uint64_t> length;
    if (const auto declared = parser.content_length(); declared && !parser.chunked()) length = *declared;
    const ForwardedRequest f{"127.0.0.1", "http", "fuzz", parser.chunked(), length, &retarget_to};
    render_forwarded_request(writer.start(f.chunked ? MessageWriter::Framing::chunked : MessageWriter::Framing::raw),
                             parser.get(), f);
  } else {
    const unsigned status = parser.get().result_int();
    if (!is_forwardable_status(status) || (status >= 100 && status < 200)) co_return;  // as the session does
    const bool bodyless = head || status == 204 || status == 304 || status < 200;
    std::optional<std::uint64_t> length;
    if (const auto declared = parser.content_length()) length = *declared;
    const ForwardedResponse f{11, bodyless, length, "fuzz", "", true};
    render_forwarded_response(writer.start(f.chunked() ? MessageWriter::Framing::chunked : MessageWriter::Framing::raw),
                              parser.get(), f);
  }
  static std::vector<char> relay(kRelaySize);  // once: a fresh 32 KiB per run is most of ASan's cost
  const RelayResult r = co_await relay_message<isRequest>(src, buffer, parser, dst, writer, relay.data(), relay.size(),
                                                          ec, run.moved, [] {}, [] {});
  run.buffer_capacity = std::max(run.buffer_capacity, buffer.capacity());
  run.end = r == RelayResult::done                  ? End::relayed
            : r == RelayResult::chunk_line_too_long ? End::relay_too_long
                                                    : End::relay_failed;
}

struct Harness {
  Harness() : batch(io) {}
  asio::io_context io{1};
  WriteBatch batch;  // MessageWriter's; a MemorySink never uses it
};

Run relay_once(bool response, bool head, std::string_view message, const std::vector<std::size_t>& sizes) {
  static Harness h;
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0, off = 0; off < message.size(); ++i) {
    const std::size_t n = sizes.empty() ? message.size() : std::min(sizes[i % sizes.size()], message.size() - off);
    pieces.push_back(message.substr(off, n));
    off += n;
  }
  PieceSource src(h.io.get_executor(), std::move(pieces));
  MemorySink sink;
  Run run;
  auto body = [&]() -> asio::awaitable<void> {
    if (response) {
      http::response_parser<http::buffer_body> parser;
      parser.header_limit(kMaxHeader);
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      if (head) parser.skip(true);
      co_await pass<false>(src, parser, sink, h.batch, head, run);
    } else {
      RequestParser parser;
      configure(parser, RequestLimits{kMaxHeader, 1 << 20});
      co_await pass<true>(src, parser, sink, h.batch, false, run);
    }
  };
  asio::co_spawn(h.io, body(), asio::detached);
  h.io.restart();
  h.io.run();
  run.out = std::move(sink.out);
  return run;
}

// What was relayed must be one whole message, nothing after it: its head as sent, and
// its body decoded (a re-chunked body's chunk sizes follow the reads, not the input).
struct Parsed {
  std::string head;
  std::string body;
};

Parsed reparse(bool response, bool head, const Run& run) {
  boost::system::error_code ec;
  std::size_t used = 0;
  Parsed parsed;
  auto feed = [&](auto& parser) {
    parser.eager(true);
    parser.header_limit(1 << 20);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    char scratch[4096];
    while (!parser.is_done()) {
      parser.get().body().data = scratch;
      parser.get().body().size = sizeof scratch;
      const std::size_t n = used;
      used += parser.put(asio::buffer(run.out.data() + used, run.out.size() - used), ec);
      if (parsed.head.empty() && parser.is_header_done()) parsed.head = run.out.substr(n, run.out.find("\r\n\r\n") + 4 - n);
      parsed.body.append(scratch, sizeof scratch - parser.get().body().size);
      if (ec == http::error::need_buffer) {
        ec = {};
        continue;
      }
      if (ec) std::abort();  // what we sent on does not parse
    }
  };
  if (response) {
    http::response_parser<http::buffer_body> parser;
    if (head) parser.skip(true);
    feed(parser);
  } else {
    http::request_parser<http::buffer_body> parser;
    feed(parser);
  }
  if (used != run.out.size()) std::abort();            // bytes past the message: a second one
  if (parsed.body.size() != run.moved) std::abort();  // the body sent on is not the body relayed
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool response = data[0] & 1;
  const bool head = response && (data[0] & 2);
  const std::size_t split_count = std::min<std::size_t>(data[1], size - 2);
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < split_count; ++i) sizes.push_back(data[2 + i] + 1u);
  const std::string_view message(reinterpret_cast<const char*>(data) + 2 + split_count, size - 2 - split_count);
  if (sizes.empty()) sizes.push_back(1);

  const Run split = relay_once(response, head, message, sizes);
  const Run whole = relay_once(response, head, message, {});
  if (split.buffer_capacity > kBufferCeiling || whole.buffer_capacity > kBufferCeiling) std::abort();
  if (split.end == End::relayed) {
    if (whole.end != End::relayed) std::abort();  // cut in pieces, a refused message passed
    const Parsed a = reparse(response, head, split), b = reparse(response, head, whole);
    if (a.head != b.head || a.body != b.body) std::abort();  // the split changed what was sent on
  } else if (whole.end == End::relayed && split.end != End::relay_too_long && split.end != End::header_too_large) {
    std::abort();  // a split refused a message for anything but a bound
  }
  return 0;
}
