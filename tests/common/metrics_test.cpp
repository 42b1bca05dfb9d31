#include "common/metrics.hpp"

#include <prometheus/counter.h>

#include <gtest/gtest.h>

using namespace scalelab;

TEST(Metrics, BucketsStrictlyIncrease) {
  const auto& b = metrics::latency_buckets();
  ASSERT_GT(b.size(), 10u);
  for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  EXPECT_THROW(metrics::exponential_buckets(0, 2, 3), std::invalid_argument);
}

TEST(Metrics, SerializesTheTextFormat) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter().Name("demo_requests_total").Help("demo").Register(registry);
  family.Add({{"route", "/x"}}).Increment(3);
  const std::string text = metrics::serialize(registry);
  EXPECT_NE(text.find("# TYPE demo_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("demo_requests_total{route=\"/x\"} 3"), std::string::npos);
}
