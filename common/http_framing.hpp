// Bounds on the parts of an HTTP/1.1 message that its parser buffers whole before it
// can use them: a chunk-size line (with its extensions) and the trailer block. Beast
// 1.74 sets no limit on either, and waits for ever on a line that ends in a bare LF.
// The balancer's relay and the app's request gate both call check_pending() whenever
// their parser asks for more bytes, so both refuse the same inputs at the same size.
#pragma once

#include <cstddef>
#include <string_view>

namespace scalelab::http_framing {

// The most a parser may hold while it waits for the end of a chunk line or of the
// trailers. HAProxy 2.6 answers 400 within its 16 KiB buffer; real chunk lines are a
// few bytes, and trailers are rare and small.
inline constexpr std::size_t kMaxPendingLine = 16 * 1024;

enum class Pending { ok, too_long, bare_lf };

// Whether `bytes` holds an LF without its CR, looking from `from` on (the byte before
// `from` still counts as the CR of an LF at `from`).
inline bool has_bare_lf(std::string_view bytes, std::size_t from = 0) {
  for (std::size_t i = from; i < bytes.size(); ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) return true;
  return false;
}

// Judges what a parser left unconsumed ("pending") each time it asks for more. In the
// chunked parts of a message every pending byte belongs to the line still being waited
// for (else the parser would have used it), so its size is that line's size so far,
// and any LF without its CR makes a line that will never end. The scan for a bare LF
// resumes where the previous one ended, so a line that arrives a byte at a time costs
// time linear in its length rather than quadratic.
class PendingLine {
 public:
  // The parser took `n` bytes from the front of what was pending.
  void consumed(std::size_t n) { scanned_ = n < scanned_ ? scanned_ - n : 0; }
  Pending check(std::string_view pending, std::size_t limit = kMaxPendingLine) {
    const std::size_t from = scanned_ < pending.size() ? scanned_ : pending.size();
    scanned_ = pending.size();
    if (has_bare_lf(pending, from)) return Pending::bare_lf;
    return pending.size() >= limit ? Pending::too_long : Pending::ok;
  }

 private:
  std::size_t scanned_ = 0;  // leading bytes of the pending ones already found clean
};

// `pending`: what the parser left unconsumed when it asked for more, checked once.
inline Pending check_pending(std::string_view pending, std::size_t limit = kMaxPendingLine) {
  return PendingLine{}.check(pending, limit);
}

}  // namespace scalelab::http_framing
