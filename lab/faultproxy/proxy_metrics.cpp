#include "lab/faultproxy/proxy_metrics.hpp"

#include "lab/faultproxy/toxic_spec.hpp"

namespace scalelab::faultproxy {
namespace {

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

}  // namespace

MetricFamilies::MetricFamilies(prometheus::Registry& r)
    : bytes(counter(r, "scalelab_faultproxy_bytes_total", "Bytes delivered, by proxy and direction")),
      accepted(counter(r, "scalelab_faultproxy_connections_accepted_total", "Client connections accepted")),
      active(gauge(r, "scalelab_faultproxy_connections_active", "Client connections open")),
      refused(counter(r, "scalelab_faultproxy_connections_refused_total", "Connections refused by a down toxic")),
      upstream_failures(counter(r, "scalelab_faultproxy_upstream_connect_failures_total",
                                "Connections dropped because the upstream could not be reached")),
      resets(counter(r, "scalelab_faultproxy_resets_total", "Connections torn down with a TCP RST")),
      toxic_closes(counter(r, "scalelab_faultproxy_toxic_closes_total", "Connections closed by a toxic, by type")),
      toxics_active(gauge(r, "scalelab_faultproxy_toxics_active", "Toxics in place, by type")) {}

ProxyMetrics::ProxyMetrics(MetricFamilies& f, const std::string& proxy)
    : bytes_upstream(f.bytes.Add({{"proxy", proxy}, {"direction", "upstream"}})),
      bytes_downstream(f.bytes.Add({{"proxy", proxy}, {"direction", "downstream"}})),
      accepted(f.accepted.Add({{"proxy", proxy}})),
      active(f.active.Add({{"proxy", proxy}})),
      refused(f.refused.Add({{"proxy", proxy}})),
      upstream_failures(f.upstream_failures.Add({{"proxy", proxy}})),
      resets(f.resets.Add({{"proxy", proxy}})) {
  for (const auto& info : toxic_types()) {
    const std::string type(info.type);
    toxic_closes_[type] = &f.toxic_closes.Add({{"proxy", proxy}, {"type", type}});
    toxics_active_[type] = &f.toxics_active.Add({{"proxy", proxy}, {"type", type}});
  }
}

void ProxyMetrics::count_toxic_close(const std::string& type) {
  if (const auto it = toxic_closes_.find(type); it != toxic_closes_.end()) it->second->Increment();
}
prometheus::Gauge& ProxyMetrics::toxics_active(const std::string& type) { return *toxics_active_.at(type); }

nlohmann::json ProxyMetrics::stats() const {
  auto count = [](const auto& metric) { return static_cast<std::uint64_t>(metric.Value()); };
  nlohmann::json closes = nlohmann::json::object();
  for (const auto& [type, c] : toxic_closes_) closes[type] = count(*c);
  return {{"bytes_upstream", count(bytes_upstream)},
          {"bytes_downstream", count(bytes_downstream)},
          {"connections_accepted", count(accepted)},
          {"connections_active", count(active)},
          {"connections_refused", count(refused)},
          {"upstream_connect_failures", count(upstream_failures)},
          {"resets", count(resets)},
          {"toxic_closes", closes}};
}

}  // namespace scalelab::faultproxy
