#include "common/metrics.hpp"

#include <algorithm>
#include <stdexcept>

#include <prometheus/text_serializer.h>

namespace scalelab::metrics {

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (start <= 0 || factor <= 1) throw std::invalid_argument("exponential_buckets: start > 0 and factor > 1");
  std::vector<double> bounds;
  bounds.reserve(count);
  double bound = start;
  for (std::size_t i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> buckets = exponential_buckets(0.0001, 2.0, 18);
  return buckets;
}

std::string serialize(const prometheus::Registry& registry) {
  return prometheus::TextSerializer{}.Serialize(registry.Collect());
}

MirroredCounter::MirroredCounter(prometheus::Registry& registry, const std::string& name, const std::string& help)
    : counter_(prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({})) {}

void MirroredCounter::catch_up(std::uint64_t total) {
  std::lock_guard lock(mu_);
  if (total > seen_) counter_.Increment(static_cast<double>(total - seen_));
  seen_ = std::max(seen_, total);
}

}  // namespace scalelab::metrics
