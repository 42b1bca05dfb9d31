// The buffered JSON access log; see access_log.hpp.
#include "balancer/access_log.hpp"

#include "common/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace scalelab::balancer {
namespace {
constexpr std::size_t kFlushAt = 32 * 1024;
}

AccessLog::AccessLog(std::string component, std::string instance, bool enabled, int fd) : enabled_(enabled), fd_(fd) {
  prefix_ = "\",\"level\":\"info\",\"component\":\"";
  escape_into(prefix_, component);
  prefix_ += '"';
  if (!instance.empty()) {
    prefix_ += ",\"instance\":\"";
    escape_into(prefix_, instance);
    prefix_ += '"';
  }
  buffer_.reserve(kFlushAt + 1024);
}

AccessLog::~AccessLog() { flush(); }

namespace {
// The bytes a JSON string may hold as they are: printable ASCII but the quote and the
// backslash.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();
}  // namespace

void AccessLog::escape_into(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of bytes that need no escaping (nearly always the whole value) are appended
  // at once.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kPlain[c]) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      // Bytes outside printable ASCII (control characters, and raw bytes that may not
      // be valid UTF-8) are escaped so every line stays valid JSON.
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(u, sizeof u);
    }
  }
  out.append(s.data() + run, s.size() - run);
}

void AccessLog::append_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t second = static_cast<std::time_t>(ms / 1000);
  if (second != cached_second_) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    const int n = std::snprintf(cached_stamp_, sizeof cached_stamp_, "%04d-%02d-%02dT%02d:%02d:%02d.",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_stamp_len_ = static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof cached_stamp_) - 1));
    cached_second_ = second;
  }
  const auto milli = static_cast<int>(ms % 1000);
  const char frac[4] = {static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                        static_cast<char>('0' + milli % 10), 'Z'};
  buffer_.append(cached_stamp_, cached_stamp_len_);
  buffer_.append(frac, sizeof frac);
}

void AccessLog::write(const AccessRecord& r) {
  using namespace std::string_view_literals;  // literals with their length: no strlen per piece
  if (!enabled_) return;
  buffer_ += "{\"ts\":\""sv;
  append_timestamp();
  buffer_ += prefix_;
  buffer_ += ",\"msg\":\"access\",\"method\":\""sv;
  escape_into(buffer_, r.method);
  buffer_ += "\",\"target\":\""sv;
  escape_into(buffer_, r.target);
  buffer_ += "\",\"status\":"sv;
  append_number(r.status);
  buffer_ += ",\"backend\":"sv;
  if (r.backend.empty()) {
    buffer_ += "null"sv;
  } else {
    buffer_ += '"';
    escape_into(buffer_, r.backend);
    buffer_ += '"';
  }
  buffer_ += ",\"attempts\":"sv;
  append_number(r.attempts);
  // Milliseconds with three decimals, by integer arithmetic (printf's float path is
  // slow enough to show on the request path).
  const auto micros = static_cast<std::uint64_t>(r.duration_ms * 1000.0 + 0.5);
  const char frac3[3] = {static_cast<char>('0' + micros / 100 % 10), static_cast<char>('0' + micros / 10 % 10),
                         static_cast<char>('0' + micros % 10)};
  buffer_ += ",\"duration_ms\":"sv;
  append_number(micros / 1000);
  buffer_ += '.';
  buffer_.append(frac3, sizeof frac3);
  buffer_ += ",\"bytes_in\":"sv;
  append_number(r.bytes_in);
  buffer_ += ",\"bytes_out\":"sv;
  append_number(r.bytes_out);
  buffer_ += ",\"client\":\""sv;
  escape_into(buffer_, r.client);
  buffer_ += "\",\"request_id\":\""sv;
  escape_into(buffer_, r.request_id);
  buffer_ += '"';
  if (!r.error.empty()) {
    buffer_ += ",\"error\":\""sv;
    escape_into(buffer_, r.error);
    buffer_ += '"';
  }
  if (!r.retry_reason.empty()) {
    buffer_ += ",\"retry_reason\":\""sv;
    escape_into(buffer_, r.retry_reason);
    buffer_ += '"';
  }
  if (r.cold_start_ms) {
    buffer_ += ",\"cold_start_ms\":"sv;
    append_number(*r.cold_start_ms);
  }
  buffer_ += "}\n"sv;
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
  log::write_lines(fd_, buffer_);
  buffer_.clear();
}

}  // namespace scalelab::balancer
