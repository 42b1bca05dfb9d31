// Every Prometheus series the balancer exports is declared here, once. The references
// the hot path needs are looked up at start and cached, because prometheus-cpp's
// Family::Add locks and hashes labels and must not run per request. Counters and
// histograms are updated where things happen; gauges that mirror state (health,
// in-flight, pools) are filled from that state when /metrics is scraped. The names are
// documented in balancer/README.md; all carry the `balancer_` prefix.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "balancer/connection_release.hpp"
#include "common/metrics.hpp"

namespace scalelab::balancer {

class Registry;

// Per-backend handles. They outlive the backend's removal (a re-added id continues its
// counters), so sessions that still hold one never dangle.
class BackendMetrics {
 public:
  BackendMetrics(prometheus::Family<prometheus::Counter>& requests, prometheus::Histogram& latency,
                 prometheus::Family<prometheus::Counter>& ejections, prometheus::Family<prometheus::Counter>& checks,
                 prometheus::Counter& connections_opened, prometheus::Family<prometheus::Counter>& connections_closed,
                 std::string id);
  void count_request(unsigned status);
  void observe_latency(double seconds) { latency_.Observe(seconds); }
  void count_ejection(const char* reason);
  void count_check(bool passed) { (passed ? checks_passed_ : checks_failed_).Increment(); }
  void count_connection_opened() { connections_opened_.Increment(); }
  void count_connection_closed(Release why) { connections_closed_[static_cast<std::size_t>(why)]->Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Histogram& latency_;
  prometheus::Family<prometheus::Counter>& ejections_;
  prometheus::Counter& checks_passed_;
  prometheus::Counter& checks_failed_;
  prometheus::Counter& connections_opened_;
  std::array<prometheus::Counter*, kReleaseKinds> connections_closed_{};  // by Release; keep's is unused
  std::string id_;
  std::array<std::atomic<prometheus::Counter*>, 600> by_status_{};
};

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The handles for backend `id`, created on first use and kept.
  std::shared_ptr<BackendMetrics> backend(const std::string& id);

  // Requests answered without any backend (no backend, bad input): backend="none".
  void count_local_answer(unsigned status);
  void count_retry(const char* reason);
  void count_retry_budget_exhausted() { budget_exhausted_.Increment(); }
  void count_affinity_broken() { affinity_broken_.Increment(); }
  void count_client_error(const char* reason);
  void count_queue_timeout() { queue_timeouts_.Increment(); }
  void client_connection_opened() { client_accepted_.Increment(); }
  void count_dns_resolution(bool ok) { (ok ? dns_ok_ : dns_failed_).Increment(); }
  void count_rejected_connection() { client_rejected_.Increment(); }
  // Scale to zero (activator.hpp): how long a request waited for a backend to exist,
  // each call to the lab, and the requests refused instead ("queue_full", "timeout").
  void observe_cold_start(double seconds) { cold_start_.Observe(seconds); }
  void count_activation_call(bool ok) { (ok ? activation_ok_ : activation_failed_).Increment(); }
  void count_activation_refused(bool timed_out) { (timed_out ? refused_timeout_ : refused_full_).Increment(); }

  std::atomic<long>& client_connections_open() { return client_open_; }

  // Refreshes the state gauges from `registry` and returns the text exposition.
  // `activation_waiting`: the requests the activator holds now.
  std::string scrape(const Registry& registry, bool panic, long activation_waiting);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& ejections_;
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Family<prometheus::Counter>& client_errors_;
  prometheus::Family<prometheus::Counter>& upstream_opened_;
  prometheus::Family<prometheus::Counter>& upstream_closed_;
  prometheus::Family<prometheus::Gauge>& healthy_;
  prometheus::Family<prometheus::Gauge>& ejected_;
  prometheus::Family<prometheus::Gauge>& draining_;
  prometheus::Family<prometheus::Gauge>& in_flight_;
  prometheus::Family<prometheus::Gauge>& upstream_open_;
  prometheus::Family<prometheus::Gauge>& upstream_idle_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Counter>& dns_;
  prometheus::Counter& budget_exhausted_;
  prometheus::Counter& affinity_broken_;
  prometheus::Counter& queue_timeouts_;
  prometheus::Counter& client_accepted_;
  prometheus::Counter& client_rejected_;
  prometheus::Counter& dns_ok_;
  prometheus::Counter& dns_failed_;
  prometheus::Gauge& client_open_gauge_;
  prometheus::Gauge& panic_gauge_;
  prometheus::Gauge& backends_gauge_;
  prometheus::Histogram& cold_start_;
  prometheus::Family<prometheus::Counter>& activation_calls_;
  prometheus::Counter& activation_ok_;
  prometheus::Counter& activation_failed_;
  prometheus::Family<prometheus::Counter>& activation_refused_;
  prometheus::Counter& refused_full_;
  prometheus::Counter& refused_timeout_;
  prometheus::Gauge& activation_waiting_;
  metrics::MirroredCounter log_dropped_;
  std::atomic<long> client_open_{0};

  std::mutex mu_;  // guards the maps below and the gauge families' label sets
  std::map<std::string, std::shared_ptr<BackendMetrics>> backends_;
  std::map<std::string, prometheus::Counter*> retry_by_reason_;
  std::map<std::string, prometheus::Counter*> client_error_by_reason_;
  std::map<std::string, prometheus::Counter*> local_by_status_;

  // The counter of `family` with `labels`, cached under `key` (Family::Add hashes the
  // labels under a lock of its own; the cache makes repeats one map lookup).
  prometheus::Counter& cached(std::map<std::string, prometheus::Counter*>& cache,
                              prometheus::Family<prometheus::Counter>& family, const prometheus::Labels& labels,
                              const std::string& key);
};

}  // namespace scalelab::balancer
