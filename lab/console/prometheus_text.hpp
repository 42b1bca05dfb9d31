// Reads the Prometheus text exposition format (version 0.0.4), which every scalelab
// binary serves on /metrics. The console's sampler needs counters and histogram
// buckets from the apps; this is just enough of the format for that, and tolerant:
// a line it cannot read is skipped rather than failing the whole scrape.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scalelab::console {

struct MetricSample {
  std::string name;                                         // with its _total/_bucket suffix
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped values, in order
  double value = 0;                                         // +Inf, -Inf and NaN as doubles

  // The value of label `key`, or "" when absent.
  std::string_view label(std::string_view key) const;
};

// Every sample line of `text`; comments, blank and malformed lines are skipped.
std::vector<MetricSample> parse_prometheus_text(std::string_view text);

}  // namespace scalelab::console
