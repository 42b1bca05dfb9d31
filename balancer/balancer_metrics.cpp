// The balancer's Prometheus series; see balancer_metrics.hpp and balancer/README.md.
#include "balancer/balancer_metrics.hpp"

#include <algorithm>

#include "balancer/registry.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace scalelab::balancer {

namespace pm = prometheus;

BackendMetrics::BackendMetrics(pm::Family<pm::Counter>& requests, pm::Histogram& latency,
                               pm::Family<pm::Counter>& ejections, pm::Family<pm::Counter>& checks,
                               pm::Counter& connections_opened, pm::Family<pm::Counter>& connections_closed,
                               std::string id)
    : requests_(requests),
      latency_(latency),
      ejections_(ejections),
      checks_passed_(checks.Add({{"backend", id}, {"result", "pass"}})),
      checks_failed_(checks.Add({{"backend", id}, {"result", "fail"}})),
      connections_opened_(connections_opened),
      id_(std::move(id)) {
  // Series start at zero, so rate() and dashboards see them before the first event.
  for (const char* reason : {"connect_failure", "consecutive_5xx", "consecutive_failures"})
    ejections_.Add({{"backend", id_}, {"reason", reason}});
  for (std::size_t i = 1; i < kReleaseKinds; ++i)
    connections_closed_[i] = &connections_closed.Add({{"backend", id_}, {"reason", release_name(static_cast<Release>(i))}});
  connections_closed_[0] = connections_closed_[static_cast<std::size_t>(Release::failed)];  // never used for keep
}

void BackendMetrics::count_request(unsigned status) {
  if (status >= by_status_.size()) status = 0;
  pm::Counter* c = by_status_[status].load(std::memory_order_acquire);
  if (c == nullptr) {
    // Family::Add is thread-safe and returns the same counter for the same labels, so
    // two threads racing here store the same pointer.
    c = &requests_.Add({{"backend", id_}, {"code", std::to_string(status)}});
    by_status_[status].store(c, std::memory_order_release);
  }
  c->Increment();
}

void BackendMetrics::count_ejection(const char* reason) {
  ejections_.Add({{"backend", id_}, {"reason", reason}}).Increment();
}

Metrics::Metrics()
    : registry_(std::make_shared<pm::Registry>()),
      requests_(pm::BuildCounter()
                    .Name("balancer_requests_total")
                    .Help("Requests answered, by backend (\"none\": answered by the balancer) and status code")
                    .Register(*registry_)),
      latency_(pm::BuildHistogram()
                   .Name("balancer_request_duration_seconds")
                   .Help("Time from the request header to the end of the proxied response, by backend")
                   .Register(*registry_)),
      retries_(pm::BuildCounter()
                   .Name("balancer_retries_total")
                   .Help("Attempts retried on another backend, by the failure that caused them")
                   .Register(*registry_)),
      ejections_(pm::BuildCounter()
                     .Name("balancer_ejections_total")
                     .Help("Passive ejections (outlier detection), by backend and reason")
                     .Register(*registry_)),
      checks_(pm::BuildCounter()
                  .Name("balancer_health_checks_total")
                  .Help("Active health checks, by backend and result")
                  .Register(*registry_)),
      client_errors_(pm::BuildCounter()
                         .Name("balancer_client_errors_total")
                         .Help("Requests refused for bad input or client timeouts, by reason")
                         .Register(*registry_)),
      upstream_opened_(pm::BuildCounter()
                           .Name("balancer_upstream_connections_opened_total")
                           .Help("Upstream connections opened, by backend")
                           .Register(*registry_)),
      upstream_closed_(pm::BuildCounter()
                           .Name("balancer_upstream_connections_closed_total")
                           .Help("Upstream connections closed, by backend and reason (overran_framing and idle_data: "
                                 "the backend sent bytes past its response's framing)")
                           .Register(*registry_)),
      healthy_(pm::BuildGauge()
                   .Name("balancer_backend_healthy")
                   .Help("1 when the active health checks pass, by backend")
                   .Register(*registry_)),
      ejected_(pm::BuildGauge()
                   .Name("balancer_backend_ejected")
                   .Help("1 while the backend is ejected by outlier detection")
                   .Register(*registry_)),
      draining_(pm::BuildGauge()
                    .Name("balancer_backend_draining")
                    .Help("1 while the backend takes no new requests")
                    .Register(*registry_)),
      in_flight_(pm::BuildGauge()
                     .Name("balancer_backend_in_flight")
                     .Help("Requests in flight, by backend")
                     .Register(*registry_)),
      upstream_open_(pm::BuildGauge()
                         .Name("balancer_upstream_connections")
                         .Help("Open upstream connections (busy and idle), by backend")
                         .Register(*registry_)),
      upstream_idle_(pm::BuildGauge()
                         .Name("balancer_upstream_idle_connections")
                         .Help("Idle pooled upstream connections, by backend")
                         .Register(*registry_)),
      queue_depth_(pm::BuildGauge()
                       .Name("balancer_queue_depth")
                       .Help("Requests waiting for an upstream connection slot, by backend")
                       .Register(*registry_)),
      dns_(pm::BuildCounter()
               .Name("balancer_dns_resolutions_total")
               .Help("DNS discovery resolutions, by result")
               .Register(*registry_)),
      budget_exhausted_(pm::BuildCounter()
                            .Name("balancer_retry_budget_exhausted_total")
                            .Help("Retries refused by the retry budget")
                            .Register(*registry_)
                            .Add({})),
      affinity_broken_(pm::BuildCounter()
                           .Name("balancer_affinity_broken_total")
                           .Help("Sticky requests whose pinned backend could not serve them and were re-pinned")
                           .Register(*registry_)
                           .Add({})),
      queue_timeouts_(pm::BuildCounter()
                          .Name("balancer_queue_timeouts_total")
                          .Help("Requests answered 503 after waiting for an upstream connection slot")
                          .Register(*registry_)
                          .Add({})),
      client_accepted_(pm::BuildCounter()
                           .Name("balancer_client_connections_total")
                           .Help("Client connections accepted")
                           .Register(*registry_)
                           .Add({})),
      client_rejected_(pm::BuildCounter()
                           .Name("balancer_client_connections_rejected_total")
                           .Help("Client connections closed at once because --max-connections was reached")
                           .Register(*registry_)
                           .Add({})),
      dns_ok_(dns_.Add({{"result", "ok"}})),
      dns_failed_(dns_.Add({{"result", "error"}})),
      client_open_gauge_(pm::BuildGauge()
                             .Name("balancer_client_connections")
                             .Help("Open client connections")
                             .Register(*registry_)
                             .Add({})),
      panic_gauge_(pm::BuildGauge()
                       .Name("balancer_panic_mode")
                       .Help("1 while no backend is eligible and every active backend takes traffic")
                       .Register(*registry_)
                       .Add({})),
      backends_gauge_(pm::BuildGauge()
                          .Name("balancer_backends")
                          .Help("Backends in the registry (active and draining)")
                          .Register(*registry_)
                          .Add({})),
      cold_start_(pm::BuildHistogram()
                      .Name("balancer_cold_start_seconds")
                      .Help("How long requests that found no backend waited for one to start (scale to zero)")
                      .Register(*registry_)
                      .Add({}, pm::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60})),
      activation_calls_(pm::BuildCounter()
                            .Name("balancer_activation_calls_total")
                            .Help("Calls to the lab asking for an instance while requests wait, by result")
                            .Register(*registry_)),
      activation_ok_(activation_calls_.Add({{"result", "ok"}})),
      activation_failed_(activation_calls_.Add({{"result", "error"}})),
      activation_refused_(pm::BuildCounter()
                              .Name("balancer_activation_refused_total")
                              .Help("Requests answered 503 while no backend existed: the wait queue was full "
                                    "(queue_full) or no backend came in time (timeout)")
                              .Register(*registry_)),
      refused_full_(activation_refused_.Add({{"reason", "queue_full"}})),
      refused_timeout_(activation_refused_.Add({{"reason", "timeout"}})),
      activation_waiting_(pm::BuildGauge()
                              .Name("balancer_activation_waiting")
                              .Help("Requests waiting for a backend to start (scale to zero)")
                              .Register(*registry_)
                              .Add({})),
      log_dropped_(*registry_, "balancer_log_lines_dropped_total",
                   "Log lines dropped because the log's reader did not keep up (--log-buffer-bytes)") {
  // Series start at zero, so rate() and dashboards see them before the first event.
  for (const char* reason :
       {"connect_refused", "connect_timeout", "send_failed", "empty_response", "reset_before_response"})
    retry_by_reason_[reason] = &retries_.Add({{"reason", reason}});
  for (const char* reason : {"bad_request", "bad_framing", "bad_host", "bad_target", "header_too_large",
                             "body_too_large", "header_timeout", "body_timeout", "unsupported_transfer_encoding"})
    client_error_by_reason_[reason] = &client_errors_.Add({{"reason", reason}});
}

std::shared_ptr<BackendMetrics> Metrics::backend(const std::string& id) {
  std::lock_guard lock(mu_);
  auto& slot = backends_[id];
  if (!slot) {
    slot = std::make_shared<BackendMetrics>(requests_, latency_.Add({{"backend", id}}, metrics::latency_buckets()),
                                            ejections_, checks_, upstream_opened_.Add({{"backend", id}}),
                                            upstream_closed_, id);
  }
  return slot;
}

prometheus::Counter& Metrics::cached(std::map<std::string, prometheus::Counter*>& cache,
                                     prometheus::Family<prometheus::Counter>& family, const prometheus::Labels& labels,
                                     const std::string& key) {
  std::lock_guard lock(mu_);
  auto& slot = cache[key];
  if (slot == nullptr) slot = &family.Add(labels);
  return *slot;
}

void Metrics::count_local_answer(unsigned status) {
  const std::string code = std::to_string(status);
  cached(local_by_status_, requests_, {{"backend", "none"}, {"code", code}}, code).Increment();
}

void Metrics::count_retry(const char* reason) {
  cached(retry_by_reason_, retries_, {{"reason", reason}}, reason).Increment();
}

void Metrics::count_client_error(const char* reason) {
  cached(client_error_by_reason_, client_errors_, {{"reason", reason}}, reason).Increment();
}

std::string Metrics::scrape(const Registry& registry, bool panic, long activation_waiting) {
  const auto now = Backend::Clock::now();
  const auto backends = registry.snapshot();
  {
    std::lock_guard lock(mu_);
    // Gauges describe the present: drop the series of backends that left.
    for (auto* family :
         {&healthy_, &ejected_, &draining_, &in_flight_, &upstream_open_, &upstream_idle_, &queue_depth_}) {
      for (const auto& [id, unused] : backends_) {
        const bool present =
            std::any_of(backends->begin(), backends->end(), [&](const auto& b) { return b->id() == id; });
        if (!present && family->Has({{"backend", id}})) family->Remove(&family->Add({{"backend", id}}));
      }
    }
    for (const auto& b : *backends) {
      const pm::Labels labels{{"backend", b->id()}};
      healthy_.Add(labels).Set(b->healthy() ? 1 : 0);
      ejected_.Add(labels).Set(b->health_snapshot(now).ejected ? 1 : 0);
      draining_.Add(labels).Set(b->active() ? 0 : 1);
      in_flight_.Add(labels).Set(b->in_flight.load());
      upstream_open_.Add(labels).Set(b->open_connections.load());
      upstream_idle_.Add(labels).Set(b->idle_connections.load());
      queue_depth_.Add(labels).Set(b->queue_depth.load());
    }
  }
  client_open_gauge_.Set(static_cast<double>(client_open_.load()));
  panic_gauge_.Set(panic ? 1 : 0);
  backends_gauge_.Set(static_cast<double>(backends->size()));
  activation_waiting_.Set(static_cast<double>(activation_waiting));
  log_dropped_.catch_up(log::dropped_lines());
  return metrics::serialize(*registry_);
}

}  // namespace scalelab::balancer
