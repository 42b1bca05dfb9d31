// What scalelab-app tells Prometheus. The breakage the lab is about shows up here as
// plain counters: a session lookup that misses although a cookie was presented is a
// lost session; an upload read that finds nothing is a missing upload (another user's
// upload is answered as missing, and counted apart).
//
//   app_requests_total{route,method,status}     app_request_duration_seconds{route}
//   app_requests_in_flight                      app_session_lookups_total{result}
//   app_upload_reads_total{result}              app_cache_operations_total{op}
//   app_rate_limit_decisions_total{decision}    app_store_errors_total{backend}
//   app_state_mode{concern,mode}                app_draining
//   app_info{instance}                          app_http_rejected_total{reason}
//   app_redis_connections_opened_total          app_redis_connections
// plus store_operations_total and store_operation_duration_seconds from the store.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/metrics.hpp"
#include "services/app/state_toggle.hpp"

namespace scalelab::app {

class AppMetrics {
 public:
  AppMetrics(prometheus::Registry& registry, const std::string& instance, const std::vector<std::string>& routes);

  // One finished request. `route` indexes the routes given at construction; -1 for a
  // request that matched none.
  void request(int route, const std::string& method, int status, double seconds);
  prometheus::Gauge& in_flight() { return *in_flight_; }
  // Threads serving a connection now: the pool's busy workers, or thread-per-connection's
  // threads (concurrency_model.hpp).
  prometheus::Gauge& connection_threads() { return *connection_threads_; }
  // app_concurrency_model{model} 1: which model this instance runs.
  void model(std::string_view name);

  void session_lookup(const char* result) { counter(session_lookups_, "result", result).Increment(); }
  enum class UploadRead { found, missing, foreign };
  void upload_read(UploadRead result) {
    (result == UploadRead::found ? *upload_found_ : result == UploadRead::missing ? *upload_missing_ : *upload_foreign_)
        .Increment();
  }
  void cache(const char* op) { counter(cache_ops_, "op", op).Increment(); }
  void rate_limit(bool allowed) { (allowed ? *rate_allowed_ : *rate_denied_).Increment(); }
  void store_error(const std::string& backend) { counter(store_errors_, "backend", backend).Increment(); }
  void draining(bool on) { draining_->Set(on ? 1 : 0); }
  // A request the gate in front of cpp-httplib refused (http_gate::kRefusalReasons).
  void http_rejected(const std::string& reason) { counter(http_rejected_, "reason", reason).Increment(); }
  // Sets app_state_mode to the toggle's current modes.
  void state(const StateToggle& toggle);
  // Brings app_redis_connections_opened_total up to `opened` (the Redis client's count)
  // and app_redis_connections to `open`: connection churn, read at each scrape.
  void redis_connections(std::uint64_t opened, std::size_t open);
  // Brings app_log_lines_dropped_total up to `dropped` (log::dropped_lines()).
  void log_lines_dropped(std::uint64_t dropped);

 private:
  prometheus::Counter& counter(prometheus::Family<prometheus::Counter>* family, const char* label, const std::string& value);

  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* session_lookups_;
  prometheus::Family<prometheus::Counter>* cache_ops_;
  prometheus::Family<prometheus::Counter>* store_errors_;
  prometheus::Family<prometheus::Counter>* http_rejected_;
  prometheus::Family<prometheus::Gauge>* state_mode_;
  std::vector<std::string> route_names_;
  std::vector<prometheus::Histogram*> durations_;  // per route, the last for unmatched
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* connection_threads_;
  prometheus::Registry& registry_;
  prometheus::Gauge* draining_;
  std::unique_ptr<metrics::MirroredCounter> redis_opened_;
  prometheus::Gauge* redis_open_ = nullptr;
  std::unique_ptr<metrics::MirroredCounter> log_dropped_;
  prometheus::Counter* upload_found_;
  prometheus::Counter* upload_missing_;
  prometheus::Counter* upload_foreign_;
  prometheus::Counter* rate_allowed_;
  prometheus::Counter* rate_denied_;
  std::mutex mu_;
  std::map<std::tuple<int, std::string, int>, prometheus::Counter*> request_counters_;
  std::map<std::pair<void*, std::string>, prometheus::Counter*> labelled_;
};

}  // namespace scalelab::app
