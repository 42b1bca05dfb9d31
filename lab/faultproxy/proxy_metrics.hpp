// The fault proxy's Prometheus series. They are created once per proxy, so the hot
// path only bumps references (prometheus-cpp's Family::Add takes a mutex), and the
// API's per-proxy stats read the same series back, so the two never disagree.
//
//   scalelab_faultproxy_bytes_total{proxy,direction}            counter, bytes delivered
//   scalelab_faultproxy_connections_accepted_total{proxy}       counter
//   scalelab_faultproxy_connections_active{proxy}               gauge
//   scalelab_faultproxy_connections_refused_total{proxy}        counter (down)
//   scalelab_faultproxy_upstream_connect_failures_total{proxy}  counter
//   scalelab_faultproxy_resets_total{proxy}                     counter, connections reset with RST
//   scalelab_faultproxy_toxic_closes_total{proxy,type}          counter, connections a toxic closed
//   scalelab_faultproxy_toxics_active{proxy,type}               gauge
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace scalelab::faultproxy {

// The metric families, registered once per registry (one per server).
struct MetricFamilies {
  explicit MetricFamilies(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& bytes;
  prometheus::Family<prometheus::Counter>& accepted;
  prometheus::Family<prometheus::Gauge>& active;
  prometheus::Family<prometheus::Counter>& refused;
  prometheus::Family<prometheus::Counter>& upstream_failures;
  prometheus::Family<prometheus::Counter>& resets;
  prometheus::Family<prometheus::Counter>& toxic_closes;
  prometheus::Family<prometheus::Gauge>& toxics_active;
};

// One proxy's series within those families.
class ProxyMetrics {
 public:
  ProxyMetrics(MetricFamilies& families, const std::string& proxy);

  prometheus::Counter& bytes_upstream;
  prometheus::Counter& bytes_downstream;
  prometheus::Counter& accepted;
  prometheus::Gauge& active;
  prometheus::Counter& refused;
  prometheus::Counter& upstream_failures;
  prometheus::Counter& resets;

  // Counts a connection closed by a toxic of `type`; unknown types are ignored.
  void count_toxic_close(const std::string& type);
  prometheus::Gauge& toxics_active(const std::string& type);

  // {"bytes_upstream","bytes_downstream","connections_accepted","connections_active",
  //  "connections_refused","upstream_connect_failures","resets","toxic_closes":{type:n}}
  nlohmann::json stats() const;

 private:
  std::map<std::string, prometheus::Counter*> toxic_closes_;
  std::map<std::string, prometheus::Gauge*> toxics_active_;
};

}  // namespace scalelab::faultproxy
