// Prometheus plumbing shared by every binary: bucket layouts (prometheus-cpp has no
// helpers, and bounds must strictly increase) and the text exposition that /metrics
// serves. Names follow Prometheus conventions: `_total` for counters, `_seconds` and
// `_bytes` for base units.
#pragma once

#include <memory>
#include <string>
#include <vector>

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

}  // namespace scalelab::metrics
