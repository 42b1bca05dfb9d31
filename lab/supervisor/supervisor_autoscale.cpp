// The supervisor's autoscaler: at every sync period it reads the metric of the ready
// instances (autoscale_metrics.hpp), asks the HPA algorithm (autoscaler.hpp) for a
// count, scales to it, and records every decision with its inputs as an event, so the
// console, `scalelab events` and the journal show why the count moved or did not.
#include "common/text.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::lab {
namespace {

using text::number;

// One line for the event log, e.g. "3 -> 5: rps 412 per ready instance (3 of 3 ready,
// target 200, ratio 2.06); limited by policy: scale_up pods 4 per 15s".
std::string describe(const Decision& d) {
  if (d.current == 0 || (d.ready == 0 && d.reporting > 0)) {
    // No instance to measure: the demand is what the balancer holds.
    std::string line = std::to_string(d.current) + " -> " + std::to_string(d.desired) + ": ";
    line += d.reporting > 0 ? number(d.metric_mean) + " requests wait at the balancer" : "no request waits";
    if (d.current > 0) line += " (0 of " + std::to_string(d.current) + " ready)";
    if (d.limited_by != Limit::none)
      line += "; limited by " + to_string(d.limited_by) + (d.limit_detail.empty() ? "" : ": " + d.limit_detail);
    return line;
  }
  std::string line = std::to_string(d.current) + " -> " + std::to_string(d.desired) + ": " + d.metric + " ";
  line += d.reporting > 0 ? number(d.metric_mean) + " per ready instance" : "not measured";
  line += " (" + std::to_string(d.ready) + " of " + std::to_string(d.current) + " ready, target " + number(d.target);
  if (d.reporting > 0) line += ", ratio " + number(d.ratio);
  line += ")";
  if (d.limited_by != Limit::none)
    line += "; limited by " + to_string(d.limited_by) + (d.limit_detail.empty() ? "" : ": " + d.limit_detail);
  return line;
}

}  // namespace

nlohmann::json Supervisor::autoscale_show() {
  nlohmann::json policy = nullptr;
  if (autoscaler_) {
    policy = to_json(autoscaler_->policy());
    policy["spelling"] = to_string(autoscaler_->policy());
  }
  return {{"enabled", autoscaler_.has_value()}, {"policy", policy}, {"last_decision", last_decision_}};
}

nlohmann::json Supervisor::autoscale_set(const AutoscalePolicy& policy) {
  try {
    validate(policy);
  } catch (const std::invalid_argument& e) {
    throw HttpError(400, "bad_policy", e.what());
  }
  autoscaler_.emplace(policy);
  autoscale_metrics_.reset();
  config_.autoscale = policy;
  write_lab_config(config_);
  next_autoscale_ = Clock::now() + policy.sync_period;
  events_.add("autoscale", "", "on: " + to_string(policy));
  return autoscale_show();
}

nlohmann::json Supervisor::autoscale_off() {
  if (autoscaler_) events_.add("autoscale", "", "off; the count stays at " + std::to_string(config_.instances));
  autoscaler_.reset();
  config_.autoscale.reset();
  write_lab_config(config_);
  return autoscale_show();
}

nlohmann::json Supervisor::activate(int waiting) {
  int current = 0, ready = 0;
  for (auto* app : apps()) {
    current += app->removing ? 0 : 1;
    ready += !app->removing && app->state == State::ready ? 1 : 0;
  }
  // A lab at zero needs waking; one whose instances are all starting may need more of
  // them for what waits (a burst). Otherwise an instance serves, and the balancer only
  // asked because it had not joined yet.
  if (autoscaler_ && ready == 0) {
    if (current == 0)
      events_.add("activate", "", std::to_string(waiting) + " requests wait at the balancer for an instance");
    autoscale_sync(Clock::now(), waiting);
  }
  current = 0;
  for (auto* app : apps()) current += app->removing ? 0 : 1;
  return {{"instances", current}, {"autoscaling", autoscaler_.has_value()}};
}

void Supervisor::autoscale_sync(Clock::time_point now, std::optional<int> activation) {
  if (!autoscaler_ || (!activation && now < next_autoscale_)) return;
  next_autoscale_ = now + autoscaler_->policy().sync_period;
  Observation obs;
  std::vector<AutoscaleMetrics::Instance> ready;
  for (auto* app : apps()) {
    if (app->removing) continue;
    ++obs.current;
    if (app->state == State::ready && app->in_balancer)
      ready.push_back({app->id, app->alive() ? app->process.pid() : 0, app->port});
  }
  obs.ready = static_cast<int>(ready.size());
  const auto backends = balancer_.backends();
  const auto demand = autoscale_metrics_.demand(backends, now);
  obs.requests_seen = demand.requests_seen;
  if (obs.ready == 0) {
    // No instance to measure: the demand is what the balancer holds for one.
    const double waiting = std::max(demand.waiting, static_cast<double>(activation.value_or(0)));
    if (waiting > 0) obs.values.push_back(waiting);
  } else {
    obs.values = autoscale_metrics_.sample(autoscaler_->policy(), ready, backends, now);
  }
  const Decision d = autoscaler_->decide(obs, now);
  last_decision_ = d.to_json();
  events_.add("autoscale", "", describe(d));
  if (!d.changes()) return;
  resize(d.desired, "autoscaler");
  autoscaler_->record_scale(d.current, d.desired, now);
}

}  // namespace scalelab::lab
