// Prometheus plumbing shared by every binary: bucket layouts (prometheus-cpp has no
// helpers, and bounds must strictly increase) and the text exposition that /metrics
// serves. Names follow Prometheus conventions: `_total` for counters, `_seconds` and
// `_bytes` for base units.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace scalelab::metrics {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// `count` bounds: start, start*factor, start*factor^2, ...  Requires start > 0, factor > 1.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

// Request latency buckets in seconds, 100 µs to about 13 s: fine enough below a
// millisecond for loopback proxies, wide enough for a frozen backend's timeout.
const std::vector<double>& latency_buckets();

// The registry's current state in the Prometheus text format, version 0.0.4.
std::string serialize(const prometheus::Registry& registry);

// A counter whose count is kept elsewhere (a client's connections opened, the log's
// dropped lines), brought up to it at each scrape. Counts never go back, so neither
// does the counter; scrapes may run at once.
class MirroredCounter {
 public:
  MirroredCounter(prometheus::Registry& registry, const std::string& name, const std::string& help);
  void catch_up(std::uint64_t total);

 private:
  prometheus::Counter& counter_;
  std::mutex mu_;
  std::uint64_t seen_ = 0;
};

}  // namespace scalelab::metrics
