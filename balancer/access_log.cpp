// The buffered JSON access log; see access_log.hpp.
#include "balancer/access_log.hpp"

#include <unistd.h>

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

void AccessLog::escape_into(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      // Bytes outside printable ASCII (control characters, and raw bytes that may not
      // be valid UTF-8) are escaped so every line stays valid JSON.
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void AccessLog::append_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t second = static_cast<std::time_t>(ms / 1000);
  if (second != cached_second_) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    std::snprintf(cached_stamp_, sizeof cached_stamp_, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second_ = second;
  }
  char frac[16];
  std::snprintf(frac, sizeof frac, "%03dZ", static_cast<int>(ms % 1000));
  buffer_ += cached_stamp_;
  buffer_ += frac;
}

void AccessLog::write(const AccessRecord& r) {
  if (!enabled_) return;
  buffer_ += "{\"ts\":\"";
  append_timestamp();
  buffer_ += prefix_;
  buffer_ += ",\"msg\":\"access\",\"method\":\"";
  escape_into(buffer_, r.method);
  buffer_ += "\",\"target\":\"";
  escape_into(buffer_, r.target);
  buffer_ += "\",\"status\":";
  buffer_ += std::to_string(r.status);
  buffer_ += ",\"backend\":";
  if (r.backend.empty()) {
    buffer_ += "null";
  } else {
    buffer_ += '"';
    escape_into(buffer_, r.backend);
    buffer_ += '"';
  }
  buffer_ += ",\"attempts\":";
  buffer_ += std::to_string(r.attempts);
  // Milliseconds with three decimals, by integer arithmetic (printf's float path is
  // slow enough to show on the request path).
  const auto micros = static_cast<std::uint64_t>(r.duration_ms * 1000.0 + 0.5);
  char frac3[4] = {static_cast<char>('0' + micros / 100 % 10), static_cast<char>('0' + micros / 10 % 10),
                   static_cast<char>('0' + micros % 10), '\0'};
  buffer_ += ",\"duration_ms\":";
  buffer_ += std::to_string(micros / 1000);
  buffer_ += '.';
  buffer_ += frac3;
  buffer_ += ",\"bytes_in\":";
  buffer_ += std::to_string(r.bytes_in);
  buffer_ += ",\"bytes_out\":";
  buffer_ += std::to_string(r.bytes_out);
  buffer_ += ",\"client\":\"";
  escape_into(buffer_, r.client);
  buffer_ += "\",\"request_id\":\"";
  escape_into(buffer_, r.request_id);
  buffer_ += '"';
  if (!r.error.empty()) {
    buffer_ += ",\"error\":\"";
    escape_into(buffer_, r.error);
    buffer_ += '"';
  }
  if (!r.retry_reason.empty()) {
    buffer_ += ",\"retry_reason\":\"";
    escape_into(buffer_, r.retry_reason);
    buffer_ += '"';
  }
  buffer_ += "}\n";
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
  const char* p = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n <= 0) break;  // logging must never take the proxy down
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

}  // namespace scalelab::balancer
