// The arithmetic behind the console's per-instance charts; see the header for the rules.
#include "lab/console/rates.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <limits>

namespace scalelab::console {

bool is_service_route(std::string_view route) {
  return !(route == "/healthz" || route == "/readyz" || route == "/metrics" || route.substr(0, 7) == "/admin/");
}

AppCounters app_counters(const std::vector<MetricSample>& samples) {
  AppCounters c;
  for (const auto& s : samples) {
    if (s.name == "app_redis_connections_opened_total") c.redis_connections += s.value;
    if (s.name == "db_connections_open") c.db_connections = c.db_connections.value_or(0) + s.value;
    if (s.name == "db_pool_waiting") c.db_waiting = c.db_waiting.value_or(0) + s.value;
    if (!is_service_route(s.label("route"))) continue;
    if (s.name == "app_requests_total") {
      c.requests += s.value;
      if (s.label("status").substr(0, 1) == "5") c.errors += s.value;
    } else if (s.name == "app_request_duration_seconds_bucket") {
      const std::string le(s.label("le"));
      if (le.empty()) continue;
      const double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::strtod(le.c_str(), nullptr);
      c.buckets[bound] += s.value;
    }
  }
  return c;
}

std::optional<double> histogram_quantile(double q, const std::map<double, double>& cumulative) {
  if (cumulative.empty()) return std::nullopt;
  const double total = cumulative.rbegin()->second;
  if (!(total > 0)) return std::nullopt;
  const double rank = q * total;
  double lower = 0, below = 0, highest_finite = 0;
  for (const auto& [le, count] : cumulative) {
    if (std::isfinite(le)) highest_finite = le;
    if (count >= rank) {
      if (!std::isfinite(le)) return highest_finite;
      const double in_bucket = count - below;
      if (in_bucket <= 0) return le;
      return lower + (le - lower) * (rank - below) / in_bucket;
    }
    lower = le;
    below = count;
  }
  return highest_finite;
}

InstanceRates instance_rates(const AppCounters& before, const AppCounters& after, double seconds) {
  bool reset = after.requests < before.requests || after.errors < before.errors ||
               after.redis_connections < before.redis_connections;
  for (const auto& [le, count] : after.buckets) {
    auto it = before.buckets.find(le);
    if (it != before.buckets.end() && count < it->second) reset = true;
  }
  const AppCounters zero;
  const AppCounters& base = reset ? zero : before;

  InstanceRates r;
  const double requests = after.requests - base.requests;
  r.rps = seconds > 0 ? requests / seconds : 0;
  r.redis_connects = seconds > 0 ? (after.redis_connections - base.redis_connections) / seconds : 0;
  if (requests > 0) r.error_rate = (after.errors - base.errors) / requests;
  r.db_connections = after.db_connections;
  r.db_waiting = after.db_waiting;
  std::map<double, double> delta;
  for (const auto& [le, count] : after.buckets) {
    auto it = base.buckets.find(le);
    delta[le] = count - (it == base.buckets.end() ? 0 : it->second);
  }
  if (auto p99 = histogram_quantile(0.99, delta)) r.p99_ms = *p99 * 1000.0;
  return r;
}

}  // namespace scalelab::console
