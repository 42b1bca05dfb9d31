#include "services/app/app_metrics.hpp"

#include "common/http_gate.hpp"
#include "common/metrics.hpp"
#include "store/errors.hpp"

namespace scalelab::app {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

AppMetrics::AppMetrics(prometheus::Registry& registry, const std::string& instance,
                       const std::vector<std::string>& routes)
    : requests_(&BuildCounter().Name("app_requests_total").Help("Requests by route, method and status").Register(registry)),
      session_lookups_(&BuildCounter()
                            .Name("app_session_lookups_total")
                            .Help("Session lookups: found, missing (a cookie was presented but no store knows it: a lost "
                                  "session) or no_cookie")
                            .Register(registry)),
      cache_ops_(&BuildCounter().Name("app_cache_operations_total").Help("Catalog cache hits, misses and invalidations").Register(registry)),
      store_errors_(&BuildCounter().Name("app_store_errors_total").Help("Requests failed by a store error, by backend").Register(registry)),
      http_rejected_(&BuildCounter()
                          .Name("app_http_rejected_total")
                          .Help("Requests refused before cpp-httplib read them (a bound or a framing rule), by reason")
                          .Register(registry)),
      state_mode_(&BuildGauge().Name("app_state_mode").Help("1 for the mode in force per concern, 0 otherwise").Register(registry)),
      route_names_(routes),
      registry_(registry) {
  auto& durations = BuildHistogram().Name("app_request_duration_seconds").Help("Request latency by route").Register(registry);
  for (const auto& r : routes) durations_.push_back(&durations.Add({{"route", r}}, metrics::latency_buckets()));
  durations_.push_back(&durations.Add({{"route", "unmatched"}}, metrics::latency_buckets()));
  route_names_.push_back("unmatched");
  in_flight_ = &BuildGauge().Name("app_requests_in_flight").Help("Requests being served now").Register(registry).Add({});
  connection_threads_ = &BuildGauge()
                             .Name("app_connection_threads")
                             .Help("Threads serving a connection now (the pool's busy workers, or one per connection); on the event-loop models, fibers")
                             .Register(registry)
                             .Add({});
  draining_ = &BuildGauge().Name("app_draining").Help("1 while the instance drains before exit").Register(registry).Add({});
  redis_opened_ = std::make_unique<metrics::MirroredCounter>(
      registry, "app_redis_connections_opened_total",
      "Connections to Redis opened (SCALELAB_REDIS_CONNECTIONS=per_request: one per store call)");
  log_dropped_ = std::make_unique<metrics::MirroredCounter>(
      registry, "app_log_lines_dropped_total",
      "Log lines dropped because the log's reader did not keep up (SCALELAB_LOG_BUFFER_BYTES)");
  redis_open_ = &BuildGauge().Name("app_redis_connections").Help("Connections to Redis open now").Register(registry).Add({});
  auto& uploads = BuildCounter()
                      .Name("app_upload_reads_total")
                      .Help("Upload reads: found, missing (an id this instance's store does not have) or foreign "
                            "(another user's upload, answered as missing)")
                      .Register(registry);
  upload_found_ = &uploads.Add({{"result", "found"}});
  upload_missing_ = &uploads.Add({{"result", "missing"}});
  upload_foreign_ = &uploads.Add({{"result", "foreign"}});
  auto& rate = BuildCounter().Name("app_rate_limit_decisions_total").Help("Rate-limit decisions").Register(registry);
  rate_allowed_ = &rate.Add({{"decision", "allowed"}});
  rate_denied_ = &rate.Add({{"decision", "denied"}});
  BuildGauge().Name("app_info").Help("Constant 1, labelled with the instance id").Register(registry).Add({{"instance", instance}}).Set(1);
  for (const char* r : {"found", "missing", "no_cookie"}) counter(session_lookups_, "result", r);
  for (const char* op : {"hit", "miss", "invalidate"}) counter(cache_ops_, "op", op);
  for (const char* reason : http_gate::kRefusalReasons) counter(http_rejected_, "reason", reason);
  // At 0 from the start, so a rate or an alert on it has a series before the first error.
  for (const char* backend : store::kErrorBackends) counter(store_errors_, "backend", backend);
}

void AppMetrics::model(std::string_view name) {
  BuildGauge()
      .Name("app_concurrency_model")
      .Help("Constant 1, labelled with the instance's concurrency model (SCALELAB_APP_MODEL)")
      .Register(registry_)
      .Add({{"model", std::string(name)}})
      .Set(1);
}

void AppMetrics::request(int route, const std::string& method, int status, double seconds) {
  const int index = route < 0 || route >= static_cast<int>(durations_.size()) - 1 ? static_cast<int>(durations_.size()) - 1 : route;
  durations_[index]->Observe(seconds);
  prometheus::Counter* c;
  {
    std::lock_guard lock(mu_);
    auto& slot = request_counters_[{index, method, status}];
    if (slot == nullptr)
      slot = &requests_->Add({{"route", route_names_[index]}, {"method", method}, {"status", std::to_string(status)}});
    c = slot;
  }
  c->Increment();
}

prometheus::Counter& AppMetrics::counter(prometheus::Family<prometheus::Counter>* family, const char* label,
                                         const std::string& value) {
  std::lock_guard lock(mu_);
  auto& slot = labelled_[{family, value}];
  if (slot == nullptr) slot = &family->Add({{label, value}});
  return *slot;
}

void AppMetrics::redis_connections(std::uint64_t opened, std::size_t open) {
  redis_opened_->catch_up(opened);
  redis_open_->Set(static_cast<double>(open));
}

void AppMetrics::log_lines_dropped(std::uint64_t dropped) { log_dropped_->catch_up(dropped); }

void AppMetrics::state(const StateToggle& toggle) {
  for (store::Concern c : store::kConcerns)
    for (store::Mode m : {store::Mode::shared, store::Mode::local})
      state_mode_->Add({{"concern", std::string(to_string(c))}, {"mode", std::string(to_string(m))}})
          .Set(toggle.mode(c) == m ? 1 : 0);
}

}  // namespace scalelab::app
