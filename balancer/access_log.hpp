// The balancer's access log writes one JSON line per proxied request, naming the
// backend, the attempt count and the duration, in the same shape as common/log.hpp's
// access records (ts, level, component, instance, then the request's fields).
// It does not build lines with nlohmann::json: that and a write per line would cost
// about as much as proxying the request, so lines are formatted by hand
// (common/json_line.hpp) and buffered per event loop, then handed over whole when the
// buffer fills and on every flush() the event loop makes (each 100 ms and at
// shutdown). They go out through log::write_lines, so in the balancer the log's
// background writer takes them: a reader that stops reading costs log lines, never an
// event loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::balancer {

struct AccessRecord {
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  std::string_view backend;  // empty: answered by the balancer itself
  int attempts = 0;
  double duration_ms = 0;
  std::uint64_t bytes_in = 0;   // request body bytes
  std::uint64_t bytes_out = 0;  // response body bytes
  std::string_view client;
  std::string_view request_id;
  std::string_view error;         // the local answer's error code, if any
  std::string_view retry_reason;  // the last retried failure, if any
  std::optional<std::uint64_t> cold_start_ms;  // it waited for a backend to start (activator.hpp)
};

class AccessLog {
 public:
  // `fd` is where lines go (stderr by default, like every scalelab log).
  AccessLog(std::string component, std::string instance, bool enabled, int fd = 2);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const AccessRecord& r);
  void flush();
  bool enabled() const { return enabled_; }

 private:
  std::string prefix_;  // ,"level":"info","component":...,"instance":...,"msg":"access"
  bool enabled_;
  int fd_;
  std::string buffer_;
};

}  // namespace scalelab::balancer
