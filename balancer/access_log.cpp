// The buffered JSON access log; see access_log.hpp.
#include "balancer/access_log.hpp"

#include "common/json_line.hpp"
#include "common/log.hpp"

namespace scalelab::balancer {
namespace {
constexpr std::size_t kFlushAt = 32 * 1024;
}

AccessLog::AccessLog(std::string component, std::string instance, bool enabled, int fd)
    : prefix_(log::stamp_members("info", component, instance) + ",\"msg\":\"access\""), enabled_(enabled), fd_(fd) {
  buffer_.reserve(kFlushAt + 1024);
}

AccessLog::~AccessLog() { flush(); }

void AccessLog::write(const AccessRecord& r) {
  if (!enabled_) return;
  log::JsonLine line(buffer_, prefix_);
  line.field("method", r.method).field("target", r.target).field("status", r.status);
  if (r.backend.empty())
    line.null_field("backend");
  else
    line.field("backend", r.backend);
  line.field("attempts", r.attempts)
      .millis("duration_ms", r.duration_ms)
      .field("bytes_in", r.bytes_in)
      .field("bytes_out", r.bytes_out)
      .field("client", r.client)
      .field("request_id", r.request_id);
  if (!r.error.empty()) line.field("error", r.error);
  if (!r.retry_reason.empty()) line.field("retry_reason", r.retry_reason);
  if (r.cold_start_ms) line.field("cold_start_ms", *r.cold_start_ms);
  line.end();
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
  log::write_lines(fd_, buffer_);
  buffer_.clear();
}

}  // namespace scalelab::balancer
