// From two scrapes of an instance's /metrics to what the console charts: requests per
// second, the share of 5xx answers, and the p99 latency of the requests in between.
// Pure functions, so the arithmetic (counter resets, histogram interpolation) is
// tested without a lab.
//
// Only the service's own routes count. The supervisor probes /readyz every 250 ms and
// the balancer checks it every 2 s; counting those would show an idle instance
// serving about 5 requests a second, and hide nothing a person wants to see.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "lab/console/prometheus_text.hpp"

namespace scalelab::console {

// One scrape, reduced: cumulative counts since the instance started.
struct AppCounters {
  double requests = 0;              // app_requests_total over service routes
  double errors = 0;                // ... with a 5xx status
  std::map<double, double> buckets; // le -> cumulative count of app_request_duration_seconds
                                    // over service routes; +Inf is the infinity key
  double redis_connections = 0;     // app_redis_connections_opened_total: connection churn
  // Gauges, as they were at the scrape; none for an instance without a database.
  std::optional<double> db_connections = std::nullopt;  // db_connections_open
  std::optional<double> db_waiting = std::nullopt;      // db_pool_waiting
};

// False for the operational routes (/healthz, /readyz, /metrics, /admin/...).
bool is_service_route(std::string_view route);

AppCounters app_counters(const std::vector<MetricSample>& samples);

struct InstanceRates {
  double rps = 0;
  std::optional<double> error_rate;  // 5xx / requests, 0..1; none without requests
  std::optional<double> p99_ms;      // none without requests
  double redis_connects = 0;         // Redis connections opened per second (churn)
  std::optional<double> db_connections = std::nullopt;  // the pool's connections at the later scrape
  std::optional<double> db_waiting = std::nullopt;      // requests waiting for one of them
};

// The rates between two scrapes `seconds` apart. When `after` counts less than
// `before` the instance restarted (counters reset), so `after` alone is the delta, as
// Prometheus's rate() assumes.
InstanceRates instance_rates(const AppCounters& before, const AppCounters& after, double seconds);

// The q-quantile (0..1) of a cumulative histogram (le -> count), interpolated linearly
// inside its bucket as Prometheus's histogram_quantile does; a rank in the +Inf bucket
// reads as the highest finite bound. None when the histogram is empty.
std::optional<double> histogram_quantile(double q, const std::map<double, double>& cumulative);

}  // namespace scalelab::console
