// See instance_meter.hpp.
#include "lab/experiment/instance_meter.hpp"

#include <charconv>

#include "lab/supervisor/autoscale_metrics.hpp"
#include "lab/supervisor/proc_readings.hpp"

namespace scalelab::experiment {

void InstanceMeter::read(const nlohmann::json& lab_status) {
  const bool first = !first_read_done_;
  first_read_done_ = true;
  pool_open_.reset();
  pool_waiting_.reset();
  serving_ = 0;
  footprint_.reset();
  if (!lab_status.is_object() || !lab_status.contains("components")) return;
  auto add = [](std::optional<double>& sum, std::optional<double> v) {
    if (v) sum = sum.value_or(0) + *v;
  };
  for (const auto& c : lab_status["components"]) {
    if (c.value("kind", "") != "app" || c.value("pid", 0) == 0) continue;
    // Serving: ready, or ready before and failing a readiness check just now (on a
    // saturated machine checks time out, and the balancer keeps routing to the instance
    // until its own checks fail too).
    if (const std::string state = c.value("state", ""); state == "ready" || state == "unready") ++serving_;
    if (const auto f = lab::process_footprint(c.value("pid", 0))) {
      if (!footprint_) footprint_ = lab::ProcessFootprint{};
      footprint_->rss_bytes += f->rss_bytes;
      footprint_->threads += f->threads;
    }
    const std::string address = c.value("address", "");
    const auto colon = address.rfind(':');
    std::uint16_t port = 0;
    if (colon == std::string::npos ||
        std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec != std::errc())
      continue;
    const std::string exposition = lab::scrape_metrics(port);
    add(pool_open_, lab::sum_of_metric(exposition, "db_connections_open"));
    add(pool_waiting_, lab::sum_of_metric(exposition, "db_pool_waiting"));
    const std::string key = c.value("id", "") + " " + std::to_string(c.value("pid", 0));
    for (int counter = 0; counter < kCounters; ++counter) {
      static const char* const kNames[kCounters] = {"app_redis_connections_opened_total", "db_connections_opened_total"};
      const auto opened = lab::sum_of_metric(exposition, kNames[counter]);
      if (!opened) continue;
      auto [it, fresh] = series_[counter].try_emplace(key);
      if (fresh) it->second.first = first ? *opened : 0;
      it->second.last = std::max(it->second.last, *opened);
    }
  }
}

double InstanceMeter::opened(Counter counter) const {
  double total = 0;
  for (const auto& [key, s] : series_[counter]) total += std::max(0.0, s.last - s.first);
  return total;
}

}  // namespace scalelab::experiment
