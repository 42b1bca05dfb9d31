// From two scrapes to requests per second, 5xx share and p99: which routes count,
// counter resets, and the histogram interpolation Prometheus's histogram_quantile uses.
#include <gtest/gtest.h>

#include <limits>

#include "lab/console/rates.hpp"

using namespace scalelab::console;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

AppCounters counters(double requests, double errors, std::map<double, double> buckets, double redis_connections = 0) {
  AppCounters c;
  c.requests = requests;
  c.errors = errors;
  c.buckets = std::move(buckets);
  c.redis_connections = redis_connections;
  return c;
}

}  // namespace

TEST(Rates, CountsServiceRoutesOnly) {
  const auto c = app_counters(parse_prometheus_text(
      "app_requests_total{route=\"/api/me\",method=\"GET\",status=\"200\"} 10\n"
      "app_requests_total{route=\"/api/me\",method=\"GET\",status=\"503\"} 2\n"
      "app_requests_total{route=\"/api/cart\",method=\"POST\",status=\"500\"} 1\n"
      "app_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 400\n"
      "app_requests_total{route=\"/admin/state\",method=\"PUT\",status=\"500\"} 1\n"
      "app_request_duration_seconds_bucket{route=\"/api/me\",le=\"0.001\"} 5\n"
      "app_request_duration_seconds_bucket{route=\"/api/me\",le=\"+Inf\"} 12\n"
      "app_request_duration_seconds_bucket{route=\"/api/cart\",le=\"0.001\"} 0\n"
      "app_request_duration_seconds_bucket{route=\"/api/cart\",le=\"+Inf\"} 1\n"
      "app_request_duration_seconds_bucket{route=\"/readyz\",le=\"+Inf\"} 400\n"
      "app_request_duration_seconds_count{route=\"/api/me\"} 12\n"));
  EXPECT_EQ(c.requests, 13);
  EXPECT_EQ(c.errors, 3);
  ASSERT_EQ(c.buckets.size(), 2u);
  EXPECT_EQ(c.buckets.at(0.001), 5);
  EXPECT_EQ(c.buckets.at(kInf), 13);
  EXPECT_FALSE(is_service_route("/healthz"));
  EXPECT_FALSE(is_service_route("/metrics"));
  EXPECT_TRUE(is_service_route("unmatched"));
}

TEST(Rates, QuantileInterpolatesInsideItsBucket) {
  // 100 requests: 50 under 1 ms, 40 in (1, 2] ms, 10 in (2, 4] ms.
  const std::map<double, double> h{{0.001, 50}, {0.002, 90}, {0.004, 100}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, h), 0.001);
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.7, h), 0.0015);   // 20 of the 40 in (1, 2]
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, h), 0.0038);  // 9 of the 10 in (2, 4]
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.25, h), 0.0005);  // the first bucket starts at 0
}

TEST(Rates, QuantileInTheInfBucketIsTheHighestBound) {
  const std::map<double, double> h{{0.001, 1}, {0.01, 2}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, h), 0.01);
  EXPECT_FALSE(histogram_quantile(0.99, {}).has_value());
  EXPECT_FALSE(histogram_quantile(0.99, {{0.001, 0}, {kInf, 0}}).has_value());
}

TEST(Rates, RatesBetweenTwoScrapes) {
  const auto before = counters(100, 1, {{0.001, 80}, {0.01, 100}, {kInf, 100}});
  const auto after = counters(300, 11, {{0.001, 180}, {0.01, 300}, {kInf, 300}});
  const auto r = instance_rates(before, after, 2.0);
  EXPECT_DOUBLE_EQ(r.rps, 100);
  EXPECT_DOUBLE_EQ(*r.error_rate, 0.05);
  // 200 new requests: 100 under 1 ms, 100 in (1, 10] ms; rank 198 is 98 % into the second.
  EXPECT_NEAR(*r.p99_ms, 1 + 9 * 0.98, 1e-9);
}

TEST(Rates, NoRequestsMeansNoErrorRateNorLatency) {
  const auto c = counters(100, 1, {{0.001, 100}, {kInf, 100}});
  const auto r = instance_rates(c, c, 1.0);
  EXPECT_EQ(r.rps, 0);
  EXPECT_FALSE(r.error_rate.has_value());
  EXPECT_FALSE(r.p99_ms.has_value());
}

TEST(Rates, ACounterResetCountsFromZero) {
  // The instance restarted: its counters start again below what we saw before.
  const auto before = counters(1000, 10, {{0.001, 1000}, {kInf, 1000}});
  const auto after = counters(50, 0, {{0.001, 50}, {kInf, 50}});
  const auto r = instance_rates(before, after, 1.0);
  EXPECT_DOUBLE_EQ(r.rps, 50);
  EXPECT_DOUBLE_EQ(*r.error_rate, 0);
  EXPECT_NEAR(*r.p99_ms, 0.99, 1e-9);
}

TEST(Rates, RedisConnectionChurnIsARateToo) {
  const auto c = app_counters(parse_prometheus_text(
      "app_redis_connections_opened_total 250\n"
      "app_redis_connections 0\n"
      "app_requests_total{route=\"/api/me\",method=\"GET\",status=\"200\"} 200\n"));
  EXPECT_EQ(c.redis_connections, 250);
  const auto r = instance_rates(counters(100, 0, {}, 10), counters(300, 0, {}, 250), 2.0);
  EXPECT_DOUBLE_EQ(r.redis_connects, 120);
  // A restarted instance counts from zero, as for requests.
  EXPECT_DOUBLE_EQ(instance_rates(counters(100, 0, {}, 500), counters(120, 0, {}, 30), 1.0).redis_connects, 30);
}

TEST(Rates, TheDatabasePoolIsAGaugeAtTheLaterScrape) {
  const std::vector<MetricSample> scrape = {{"db_connections_open", {}, 7}, {"db_pool_waiting", {}, 3}};
  const AppCounters later = app_counters(scrape);
  ASSERT_TRUE(later.db_connections);
  const InstanceRates r = instance_rates(counters(0, 0, {}), later, 1.0);
  EXPECT_EQ(r.db_connections, 7.0);
  EXPECT_EQ(r.db_waiting, 3.0);
  EXPECT_FALSE(app_counters({}).db_connections) << "an instance without a database has no pool";
}
