// The lab's autoscaler, its decision logic only: given what the instances report and the
// time, how many instances the lab should run, and why. It follows the Kubernetes
// Horizontal Pod Autoscaler (kubernetes.io, "Horizontal Pod Autoscaling", with the
// autoscaling/v2 `behavior` field), so what the lab shows is what a cluster would do.
// It does no I/O, starts no thread and never reads a clock: the caller passes the time
// in, so every rule is unit-tested with explicit time points. The supervisor calls
// decide() once per sync period and record_scale() after it has acted on a decision.
//
// One decision, in order:
//  1. The metric's usage ratio: the mean over the ready instances, divided by the target
//     (a per-instance value). Within `tolerance` of 1 the count is kept; otherwise the
//     raw desired count is ceil(ready × ratio), i.e. ceil(sum / target). Like Kubernetes:
//     instances not ready yet are ignored when that proposes a scale down and counted at
//     0 when it proposes a scale up; ready instances that reported nothing count at the
//     target (scale down) or at 0 (scale up). When counting them that way brings the
//     ratio within tolerance or reverses the direction, the count is kept.
//  2. Stabilization: the raw desired counts of the last `stabilization_window` are kept;
//     a scale down goes no lower than the highest of them, a scale up no higher than
//     the lowest, so a short dip or spike does not make the count flap.
//  3. Rate policies: each allows a change of `value` pods, or `value` percent of the
//     count the period started with, per `period`, counting the scale events already
//     made in that period; select_policy picks the one allowing the most change (max),
//     the least (min), or forbids changes in that direction (disabled).
//  4. The result is clamped to [min_replicas, max_replicas].
//  5. Two rules of the lab's own, for scale to zero and cold starts (Kubernetes' HPA
//     has neither; Knative's autoscaler has the first): the last instance goes only
//     once no request has been seen for `idle`, and at most `max_starting` instances
//     are starting (not ready yet) at once.
// With instances but none ready (all starting) there is nothing to measure and the count
// is kept (clamped), unless demand is given. With no instance ready (none at all, with
// min_replicas 0, or all starting), the values describe the demand waiting for one (the
// requests the balancer holds): for in_flight that demand is concurrency, so it asks for
// ceil(sum / target) instances at once, as Knative's autoscaler does from the
// activator's report (never fewer than are already starting); for the other metrics any
// value above 0 proposes one instance.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::lab {

using Clock = std::chrono::steady_clock;

// Above this, a policy is refused. (The lab's port layout runs at most
// Ports::kMaxInstances instances, and Supervisor::scale refuses more.)
inline constexpr int kMaxAutoscaleReplicas = 50;  // Ports::kMaxInstances (lab_config.hpp)

// What the instances report. Every kind is a per-instance value in its own unit; the
// autoscaler only compares it with the target: requests in progress (in_flight),
// requests per second (rps), CPU seconds per second (cpu), or a Prometheus metric the
// instances expose (custom, named by custom_metric).
enum class MetricKind { in_flight, rps, cpu, custom };

enum class ScalingPolicyType { pods, percent };

// Which policy of a direction applies when it has several: the one allowing the most
// change (max, Kubernetes' default), the least (min), or no change at all (disabled).
enum class SelectPolicy { max, min, disabled };

// Kubernetes' HPAScalingPolicy: at most `value` pods, or `value` percent of the count at
// the period's start, added (or removed) per `period`.
struct ScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::pods;
  int value = 1;                            // at least 1
  std::chrono::milliseconds period{15000};  // above 0, at most 30 minutes (Kubernetes' limit)
};

// Kubernetes' HPAScalingRules, for one direction.
struct ScalingRules {
  std::vector<ScalingPolicy> policies;  // at least one unless select is disabled
  SelectPolicy select = SelectPolicy::max;
  std::chrono::milliseconds stabilization_window{0};  // 0 to 1 hour (Kubernetes' limit)
};

// Kubernetes' default for scaling up: the larger of 4 pods and 100 percent per 15 s, no
// stabilization window. (The API reference's comment says 60 s periods; the controller
// and the HPA page use 15 s.)
ScalingRules default_scale_up_rules();
// Scaling down: 100 percent per 15 s (Kubernetes' default), with a 30 s stabilization
// window. Kubernetes' default window is 300 s; a lab's experiments last minutes, and a
// 5-minute wait before every scale down would hide what they are meant to show.
ScalingRules default_scale_down_rules();

struct AutoscalePolicy {
  int min_replicas = 1;  // may be 0: the algorithm allows scaling to zero
  int max_replicas = 1;  // 1 to kMaxAutoscaleReplicas, at least min_replicas
  MetricKind metric = MetricKind::rps;
  std::string custom_metric;  // the Prometheus metric name when metric is custom, else empty
  double target = 0;          // the metric's wanted value per instance, above 0
  double tolerance = 0.1;     // the dead band around ratio 1, in [0, 1)
  // How often the caller decides. 5 s in the lab; Kubernetes' default is 15 s
  // (--horizontal-pod-autoscaler-sync-period).
  std::chrono::milliseconds sync_period{5000};
  // Scale to zero (min_replicas 0 only): how long no request at all must have been seen
  // before the last instance goes. Knative's scale-to-zero-grace-period plus its stable
  // window come to 90 s; 30 s here, for the same reason as the scale-down window.
  std::chrono::milliseconds idle{30000};
  // At most this many instances starting at once (0: no cap). Starting many at once on
  // a few cores makes each start slower: the cold-start stampede.
  int max_starting = 0;
  ScalingRules scale_up = default_scale_up_rules();
  ScalingRules scale_down = default_scale_down_rules();
};

// Throws std::invalid_argument, with a one-line message naming the field and its value,
// when `p` breaks a rule stated above.
void validate(const AutoscalePolicy& p);

// Parses the CLI/YAML spelling "min=1,max=8,metric=rps,target=200", with the optional
// keys tolerance=0.1, window=30s (scale down's stabilization window), up-window=0s,
// sync=5s, idle=30s and starts=0 (max_starting); min defaults to 1. Durations are like 500ms, 5s, 1.5s or 2m; a bare number is
// seconds. metric is in_flight, rps, cpu or custom:<prometheus metric name>. The rate
// policies are the defaults (only JSON carries others). Throws std::invalid_argument,
// naming the culprit, for an unknown, repeated or missing key or a bad value, and for
// whatever validate() refuses.
AutoscalePolicy parse_autoscale_policy(std::string_view spelling);

// The canonical spelling: every key parse_autoscale_policy knows, in a fixed order, e.g.
// "min=1,max=8,metric=rps,target=200,tolerance=0.1,window=30s,up-window=0s,sync=5s,
// idle=30s,starts=0".
// The rate policies are not in it (see to_json).
std::string to_string(const AutoscalePolicy& p);

// {"min", "max", "metric" (as spelled above), "target", "tolerance", "sync_ms",
//  "scale_up" and "scale_down": {"window_ms", "select", "policies":
//  [{"type": "pods"|"percent", "value", "period_ms"}]}}.
nlohmann::json to_json(const AutoscalePolicy& p);
// The inverse of to_json. Keys left out take their defaults, except max and target;
// unknown keys are refused. Throws std::invalid_argument naming the bad key, and for
// whatever validate() refuses.
AutoscalePolicy autoscale_policy_from_json(const nlohmann::json& j);

// "in_flight", "rps", "cpu" or "custom:<name>".
std::string metric_spelling(const AutoscalePolicy& p);
std::string to_string(SelectPolicy s);
// "pods 4 per 15s", "percent 100 per 15s".
std::string to_string(const ScalingPolicy& p);

// What the caller saw at one sync.
struct Observation {
  // Every instance the lab runs, ready or not (starting, unready); not those being
  // drained after a scale in.
  int current = 0;
  // Those of them that pass their readiness check.
  int ready = 0;
  // The metric of the ready instances that reported it, one value each (the mean is
  // taken here). A ready instance missing from it counts as said in step 1. With no
  // instance ready (ready 0), at most one value: the demand waiting for one (requests
  // held at the balancer), or none.
  std::vector<double> values;
  // Whether any request arrived since the previous decision (step 5's idle time).
  bool requests_seen = true;
};

// Which rule set the final count, when one did.
enum class Limit {
  none,                  // the metric's raw desired count, unchanged
  tolerance,             // the ratio was within tolerance, or was once unready and silent instances counted
  stabilization_window,  // a recommendation in the window held the count
  policy,                // a rate policy (limit_detail names it)
  min,                   // min_replicas
  max,                   // max_replicas
  no_ready_instances,    // instances but none ready: nothing to measure
  no_metrics,            // ready instances, but none reported the metric
  idle,                  // scaling to zero waits until no request was seen for `idle`
  max_starting,          // enough instances are starting already
};
std::string to_string(Limit l);

// One decision and every input and step that led to it, for the event log.
struct Decision {
  int current = 0;
  int ready = 0;
  int reporting = 0;            // values given: ready instances that reported (at current 0: demand)
  std::string metric;           // metric_spelling
  double metric_mean = 0;       // over the values given; 0 when none
  double target = 0;
  double ratio = 0;             // metric_mean / target
  double adjusted_ratio = 0;    // counting unready and silent instances as in step 1
  int raw_desired = 0;          // step 1
  int stabilized_desired = 0;   // step 2
  int desired = 0;              // the final count: steps 3 and 4
  Limit limited_by = Limit::none;
  // What the limit was, e.g. "scale_up pods 4 per 15s", "scale_down window 30s: highest
  // recommendation 6", "max 8"; empty for none.
  std::string limit_detail;

  bool changes() const { return desired != current; }
  // The fields above with snake_case keys; metric_mean, ratio and adjusted_ratio are
  // null when no value was given.
  nlohmann::json to_json() const;
};

class Autoscaler {
 public:
  // Throws std::invalid_argument when validate() refuses `policy`.
  explicit Autoscaler(AutoscalePolicy policy);

  const AutoscalePolicy& policy() const { return policy_; }

  // The count the lab should run now. Remembers this sync's raw recommendation for the
  // stabilization windows; the first call also records `current` as a recommendation,
  // as Kubernetes does, so that starting (or restarting) the autoscaler does not scale
  // down at once. `now` must not go backwards between calls. Throws
  // std::invalid_argument for an inconsistent observation (a negative count, ready
  // above current, more values than ready instances, a negative or non-finite value).
  Decision decide(const Observation& obs, Clock::time_point now);

  // The caller changed the count from `from` to `to` at `now`: the rate policies count
  // it during their periods. Call it for every change made on a decision.
  void record_scale(int from, int to, Clock::time_point now);

 private:
  struct Recommendation {
    Clock::time_point at;
    int replicas;
  };
  struct ScaleEvent {
    Clock::time_point at;
    int delta;  // > 0 added, < 0 removed
  };
  struct Step {
    int replicas;
    Limit limit = Limit::none;
    std::string detail = {};  // initialized, so that {replicas} alone is a complete Step
  };

  Step propose(const Observation& obs, Decision& d) const;
  Step stabilize(int current, int raw, Clock::time_point now) const;
  Step limit_rate(int current, int stabilized, Clock::time_point now) const;
  Step limit_lab_rules(const Observation& obs, Step step, Clock::time_point now) const;
  int changed_within(std::chrono::milliseconds period, Clock::time_point now, bool added) const;
  void forget_before(Clock::time_point now);

  AutoscalePolicy policy_;
  std::vector<Recommendation> recommendations_;  // oldest first
  std::vector<ScaleEvent> events_;               // oldest first
  bool seeded_ = false;
  Clock::time_point last_request_seen_{};  // or the first decision's time
};

}  // namespace scalelab::lab
