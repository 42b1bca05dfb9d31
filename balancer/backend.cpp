// Backend: health events under a mutex, mirrored into atomics; see backend.hpp.
#include "balancer/backend.hpp"

#include "common/log.hpp"

namespace scalelab::balancer {
namespace {
std::int64_t to_ns(Backend::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

const char* source_name(Source s) {
  switch (s) {
    case Source::static_list:
      return "static";
    case Source::dns:
      return "dns";
    case Source::admin:
      return "admin";
  }
  return "static";
}

Backend::Backend(std::string id, net::HostPort address, boost::asio::ip::tcp::endpoint endpoint, Source source,
                 HealthPolicy policy, std::shared_ptr<BackendMetrics> metrics)
    : id_(std::move(id)),
      address_(std::move(address)),
      endpoint_(endpoint),
      source_(source),
      metrics_(std::move(metrics)),
      health_(policy) {
  publish_locked();
}

bool Backend::eligible(Clock::time_point now) const {
  return active() && healthy_.load(std::memory_order_relaxed) &&
         to_ns(now) >= ejected_until_ns_.load(std::memory_order_relaxed);
}

double Backend::warmth(Clock::time_point now, std::chrono::milliseconds ramp) const {
  if (ramp.count() <= 0) return 1.0;
  const double elapsed_ms =
      static_cast<double>(to_ns(now) - healthy_since_ns_.load(std::memory_order_relaxed)) / 1e6;
  const double share = elapsed_ms / static_cast<double>(ramp.count());
  return share >= 1.0 ? 1.0 : std::max(kSlowStartFloor, share);
}

void Backend::publish_locked() {
  const bool healthy = health_.healthy();
  if (healthy && !healthy_.load(std::memory_order_relaxed))
    healthy_since_ns_.store(to_ns(Clock::now()), std::memory_order_relaxed);
  healthy_.store(healthy, std::memory_order_relaxed);
  ejected_until_ns_.store(to_ns(health_.ejected_until()), std::memory_order_relaxed);
  may_have_5xx_streak_.store(health_.consecutive_5xx() > 0, std::memory_order_relaxed);
}

void Backend::log_ejection(const char* reason) {
  if (metrics_) metrics_->count_ejection(reason);
  log::warn("backend ejected", {{"backend", id_}, {"reason", reason}, {"ejections", health_.ejections()}});
}

void Backend::on_check(bool passed, const std::string& detail) {
  if (metrics_) metrics_->count_check(passed);
  std::lock_guard lock(mu_);
  const bool changed = health_.on_check(passed);
  publish_locked();
  if (changed) {
    nlohmann::json fields{{"backend", id_}, {"healthy", health_.healthy()}};
    if (!passed) fields["detail"] = detail;
    if (health_.healthy())
      log::info("backend healthy", std::move(fields));
    else
      log::warn("backend unhealthy", std::move(fields));
  }
}

void Backend::on_connect_failure(Clock::time_point now) {
  failures.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (health_.on_connect_failure(now)) log_ejection("connect_failure");
  publish_locked();
}

void Backend::on_gateway_failure(Clock::time_point now) {
  failures.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (health_.on_gateway_failure(now)) log_ejection("consecutive_failures");
  publish_locked();
}

void Backend::on_status(unsigned status, Clock::time_point now) {
  const bool server_error = status >= 500;
  if (server_error) failures.fetch_add(1, std::memory_order_relaxed);
  // The common case (a success with no streak to reset) takes no lock.
  if (!server_error && !may_have_5xx_streak_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mu_);
  if (health_.on_status(status, now)) log_ejection("consecutive_5xx");
  publish_locked();
}

HealthSnapshot Backend::health_snapshot(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const auto left = health_.ejected(now)
                        ? std::chrono::duration_cast<std::chrono::milliseconds>(health_.ejected_until() - now).count()
                        : 0;
  return HealthSnapshot{health_.check_state(), health_.ejected(now),           left,
                        health_.ejections(),   health_.consecutive_failures(), health_.consecutive_5xx()};
}

}  // namespace scalelab::balancer
