// The autoscaler's decision steps, and the spellings of its policy: the CLI/YAML one, JSON,
// and the rules both go through (autoscaler.hpp says what each step does and why).
#include "lab/supervisor/autoscaler.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

namespace scalelab::lab {

namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// Floating-point slack: 110 / 100 must count as within 0.1 of 1, and 3 × 70 / 100 as 2.1,
// not a hair above it (which ceil would turn into 3).
constexpr double kCountSlack = 1e-9;
// Counts are worked out in double and clamped to this before becoming ints: far above
// any max, far below INT_MAX.
constexpr double kCountCeiling = 1e6;

int ceil_count(double x) {
  return static_cast<int>(std::ceil(std::clamp(x, -kCountCeiling, kCountCeiling) - kCountSlack));
}
int floor_count(double x) {
  return static_cast<int>(std::floor(std::clamp(x, -kCountCeiling, kCountCeiling) + kCountSlack));
}

[[noreturn]] void refuse_policy(const std::string& what) { throw std::invalid_argument("autoscale: " + what); }

// "key=value", as the spelling has it: how every message names its culprit.
std::string spelled_setting(std::string_view key, std::string_view value) {
  return std::string(key) + "=" + std::string(value);
}

// The shortest spelling that reads back as the same double: 0.1, 200, 1.25.
std::string spelled_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string spelled_duration(milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string_view trim_setting(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Prometheus' rule for metric names: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_prometheus_metric_name(std::string_view name) {
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
  if (name.empty() || !letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

void check_custom_metric_name(std::string_view name) {
  if (!is_prometheus_metric_name(name))
    refuse_policy("metric=custom:" + std::string(name) + ": '" + std::string(name) +
                  "' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
}

void parse_metric_spelling(std::string_view text, AutoscalePolicy& p) {
  p.custom_metric.clear();
  if (text == "in_flight") {
    p.metric = MetricKind::in_flight;
  } else if (text == "rps") {
    p.metric = MetricKind::rps;
  } else if (text == "cpu") {
    p.metric = MetricKind::cpu;
  } else if (text.starts_with("custom:")) {
    check_custom_metric_name(text.substr(7));
    p.metric = MetricKind::custom;
    p.custom_metric = std::string(text.substr(7));
  } else {
    refuse_policy(spelled_setting("metric", text) + " is not in_flight, rps, cpu or custom:<prometheus metric name>");
  }
}

int parse_whole_setting(std::string_view key, std::string_view value) {
  int v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size())
    refuse_policy(spelled_setting(key, value) + " is not a whole number");
  return v;
}

std::optional<double> real_from_text(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

double parse_real_setting(std::string_view key, std::string_view value) {
  const auto v = real_from_text(value);
  if (!v) refuse_policy(spelled_setting(key, value) + " is not a number");
  return *v;
}

// 500ms, 5s, 1.5s, 2m; a bare number is seconds.
milliseconds parse_duration_setting(std::string_view key, std::string_view value) {
  std::string_view digits = value;
  double scale = 1000;
  if (value.ends_with("ms")) {
    scale = 1, digits.remove_suffix(2);
  } else if (value.ends_with("s")) {
    digits.remove_suffix(1);
  } else if (value.ends_with("m")) {
    scale = 60000, digits.remove_suffix(1);
  }
  const auto v = real_from_text(digits);
  if (!v)
    refuse_policy(spelled_setting(key, value) +
                  " is not a duration (like 500ms, 5s, 1.5s or 2m; a bare number is seconds)");
  if (*v < 0) refuse_policy(spelled_setting(key, value) + " must not be negative");
  if (*v * scale > 1e12) refuse_policy(spelled_setting(key, value) + " is far too long");
  return milliseconds(std::llround(*v * scale));
}

void validate_scaling_rules(const ScalingRules& r, const std::string& direction, std::string_view window_key) {
  const std::string window = spelled_setting(window_key, spelled_duration(r.stabilization_window));
  if (r.stabilization_window < 0ms) refuse_policy(window + " must not be negative");
  if (r.stabilization_window > 1h) refuse_policy(window + " is above Kubernetes' limit of 1 hour");
  if (r.select != SelectPolicy::disabled && r.policies.empty())
    refuse_policy(direction + " has no policy (give one, or select disabled)");
  for (const auto& p : r.policies) {
    const std::string named = direction + " policy '" + to_string(p) + "'";
    if (p.value < 1) refuse_policy(named + ": value must be at least 1");
    if (p.period <= 0ms) refuse_policy(named + ": period must be above 0");
    if (p.period > 30min) refuse_policy(named + ": period is above Kubernetes' limit of 30 minutes");
  }
}

// JSON readers: each names the key (with its path) when the value is of the wrong type.
void check_json_keys(const nlohmann::json& j, std::initializer_list<std::string_view> known, const std::string& where) {
  if (!j.is_object()) refuse_policy((where.empty() ? "the policy" : where) + " must be a JSON object");
  for (const auto& [key, value] : j.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) refuse_policy("unknown key '" + where + key + "'");
}

long long whole_from_json(const nlohmann::json& j, const char* key, long long fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  const auto& v = j.at(key);
  const bool fits = v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT_MAX) &&
                    v.get<long long>() >= INT_MIN && v.get<long long>() <= INT_MAX;
  if (!fits) refuse_policy(where + key + " must be a whole number (got " + v.dump() + ")");
  return v.get<long long>();
}

double real_from_json(const nlohmann::json& j, const char* key, double fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  const auto& v = j.at(key);
  if (!v.is_number()) refuse_policy(where + key + " must be a number (got " + v.dump() + ")");
  return v.get<double>();
}

std::string string_from_json(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto& v = j.at(key);
  if (!v.is_string()) refuse_policy(where + key + " must be a string (got " + v.dump() + ")");
  return v.get<std::string>();
}

nlohmann::json scaling_rules_json(const ScalingRules& r) {
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& p : r.policies)
    policies.push_back({{"type", p.type == ScalingPolicyType::pods ? "pods" : "percent"},
                        {"value", p.value},
                        {"period_ms", p.period.count()}});
  return {{"window_ms", r.stabilization_window.count()}, {"select", to_string(r.select)}, {"policies", policies}};
}

ScalingRules scaling_rules_from_json(const nlohmann::json& j, const std::string& direction, ScalingRules r) {
  const std::string where = direction + ".";
  check_json_keys(j, {"window_ms", "select", "policies"}, where);
  r.stabilization_window = milliseconds(whole_from_json(j, "window_ms", r.stabilization_window.count(), where));
  if (j.contains("select")) {
    const std::string s = string_from_json(j, "select", where);
    if (s == "max") r.select = SelectPolicy::max;
    else if (s == "min") r.select = SelectPolicy::min;
    else if (s == "disabled") r.select = SelectPolicy::disabled;
    else refuse_policy(where + "select '" + s + "' is not max, min or disabled");
  }
  if (!j.contains("policies")) return r;
  if (!j.at("policies").is_array()) refuse_policy(where + "policies must be an array");
  r.policies.clear();
  for (std::size_t i = 0; i < j.at("policies").size(); ++i) {
    const auto& p = j.at("policies")[i];
    const std::string at = where + "policies[" + std::to_string(i) + "].";
    check_json_keys(p, {"type", "value", "period_ms"}, at);
    for (const char* key : {"type", "value", "period_ms"})
      if (!p.contains(key)) refuse_policy(at + key + " is missing");
    const std::string type = string_from_json(p, "type", at);
    if (type != "pods" && type != "percent") refuse_policy(at + "type '" + type + "' is not pods or percent");
    r.policies.push_back({type == "pods" ? ScalingPolicyType::pods : ScalingPolicyType::percent,
                          static_cast<int>(whole_from_json(p, "value", 0, at)),
                          milliseconds(whole_from_json(p, "period_ms", 0, at))});
  }
  return r;
}

}  // namespace

ScalingRules default_scale_up_rules() {
  return {{{ScalingPolicyType::pods, 4, 15s}, {ScalingPolicyType::percent, 100, 15s}}, SelectPolicy::max, 0s};
}

ScalingRules default_scale_down_rules() {
  return {{{ScalingPolicyType::percent, 100, 15s}}, SelectPolicy::max, 30s};
}

std::string metric_spelling(const AutoscalePolicy& p) {
  switch (p.metric) {
    case MetricKind::in_flight: return "in_flight";
    case MetricKind::rps: return "rps";
    case MetricKind::cpu: return "cpu";
    case MetricKind::custom: return "custom:" + p.custom_metric;
  }
  return "?";
}

std::string to_string(SelectPolicy s) {
  switch (s) {
    case SelectPolicy::max: return "max";
    case SelectPolicy::min: return "min";
    case SelectPolicy::disabled: return "disabled";
  }
  return "?";
}

std::string to_string(const ScalingPolicy& p) {
  return std::string(p.type == ScalingPolicyType::pods ? "pods " : "percent ") + std::to_string(p.value) + " per " +
         spelled_duration(p.period);
}

std::string to_string(Limit l) {
  switch (l) {
    case Limit::none: return "none";
    case Limit::tolerance: return "tolerance";
    case Limit::stabilization_window: return "stabilization_window";
    case Limit::policy: return "policy";
    case Limit::min: return "min";
    case Limit::max: return "max";
    case Limit::no_ready_instances: return "no_ready_instances";
    case Limit::no_metrics: return "no_metrics";
    case Limit::idle: return "idle";
    case Limit::max_starting: return "max_starting";
  }
  return "?";
}

void validate(const AutoscalePolicy& p) {
  const auto min = spelled_setting("min", std::to_string(p.min_replicas));
  const auto max = spelled_setting("max", std::to_string(p.max_replicas));
  if (p.min_replicas < 0) refuse_policy(min + " must not be negative");
  if (p.max_replicas < 1) refuse_policy(max + " must be at least 1");
  if (p.max_replicas > kMaxAutoscaleReplicas)
    refuse_policy(max + " is above the limit of " + std::to_string(kMaxAutoscaleReplicas));
  if (p.min_replicas > p.max_replicas) refuse_policy(min + " is above " + max);
  if (p.metric == MetricKind::custom)
    check_custom_metric_name(p.custom_metric);
  else if (!p.custom_metric.empty())
    refuse_policy("custom_metric '" + p.custom_metric + "' is set but metric is " + metric_spelling(p));
  if (!(p.target > 0) || !std::isfinite(p.target))
    refuse_policy(spelled_setting("target", spelled_number(p.target)) + " must be a number above 0");
  if (!(p.tolerance >= 0 && p.tolerance < 1))
    refuse_policy(spelled_setting("tolerance", spelled_number(p.tolerance)) +
                  " must be from 0 up to (not including) 1");
  if (p.sync_period <= 0ms)
    refuse_policy(spelled_setting("sync", spelled_duration(p.sync_period)) + " must be above 0");
  const auto idle = spelled_setting("idle", spelled_duration(p.idle));
  if (p.idle < 0ms) refuse_policy(idle + " must not be negative");
  if (p.idle > 1h) refuse_policy(idle + " is above the limit of 1 hour");
  if (p.max_starting < 0 || p.max_starting > kMaxAutoscaleReplicas)
    refuse_policy(spelled_setting("starts", std::to_string(p.max_starting)) + " must be from 0 (no cap) to " +
                  std::to_string(kMaxAutoscaleReplicas));
  // An idle instance still burns some CPU (health checks, scrapes), so a CPU target
  // never sees the zero that scaling to zero waits for; Knative scales to zero on
  // requests only, for the same reason.
  if (p.min_replicas == 0 && p.metric == MetricKind::cpu)
    refuse_policy(min + " needs metric in_flight, rps or custom: an idle instance's CPU is never 0");
  validate_scaling_rules(p.scale_up, "scale_up", "up-window");
  validate_scaling_rules(p.scale_down, "scale_down", "window");
}

AutoscalePolicy parse_autoscale_policy(std::string_view spelling) {
  static constexpr std::string_view kKnown = "min, max, metric, target, tolerance, window, up-window, sync, idle, starts";
  if (trim_setting(spelling).empty())
    refuse_policy("nothing given; the least is max= and target= (e.g. min=1,max=8,metric=rps,target=200)");
  AutoscalePolicy p;
  std::set<std::string, std::less<>> seen;
  std::size_t from = 0;
  while (from <= spelling.size()) {
    const auto comma = std::min(spelling.find(',', from), spelling.size());
    const std::string_view item = trim_setting(spelling.substr(from, comma - from));
    from = comma + 1;
    if (item.empty()) refuse_policy("empty setting in '" + std::string(spelling) + "' (a stray comma?)");
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) refuse_policy("'" + std::string(item) + "' is not key=value");
    const std::string_view key = trim_setting(item.substr(0, eq)), value = trim_setting(item.substr(eq + 1));
    if (value.empty()) refuse_policy("'" + std::string(key) + "=' has no value");
    if (key == "min") p.min_replicas = parse_whole_setting(key, value);
    else if (key == "max") p.max_replicas = parse_whole_setting(key, value);
    else if (key == "metric") parse_metric_spelling(value, p);
    else if (key == "target") p.target = parse_real_setting(key, value);
    else if (key == "tolerance") p.tolerance = parse_real_setting(key, value);
    else if (key == "window") p.scale_down.stabilization_window = parse_duration_setting(key, value);
    else if (key == "up-window") p.scale_up.stabilization_window = parse_duration_setting(key, value);
    else if (key == "sync") p.sync_period = parse_duration_setting(key, value);
    else if (key == "idle") p.idle = parse_duration_setting(key, value);
    else if (key == "starts") p.max_starting = parse_whole_setting(key, value);
    else refuse_policy("unknown key '" + std::string(key) + "' (known: " + std::string(kKnown) + ")");
    if (!seen.insert(std::string(key)).second) refuse_policy("'" + std::string(key) + "' is given twice");
  }
  if (!seen.contains("max")) refuse_policy("max= is missing (the most instances to run, e.g. max=8)");
  if (!seen.contains("target"))
    refuse_policy("target= is missing (the metric's wanted value per instance, e.g. target=200)");
  validate(p);
  return p;
}

std::string to_string(const AutoscalePolicy& p) {
  return "min=" + std::to_string(p.min_replicas) + ",max=" + std::to_string(p.max_replicas) +
         ",metric=" + metric_spelling(p) + ",target=" + spelled_number(p.target) +
         ",tolerance=" + spelled_number(p.tolerance) +
         ",window=" + spelled_duration(p.scale_down.stabilization_window) +
         ",up-window=" + spelled_duration(p.scale_up.stabilization_window) +
         ",sync=" + spelled_duration(p.sync_period) + ",idle=" + spelled_duration(p.idle) +
         ",starts=" + std::to_string(p.max_starting);
}

nlohmann::json to_json(const AutoscalePolicy& p) {
  return {{"min", p.min_replicas},        {"max", p.max_replicas},
          {"metric", metric_spelling(p)}, {"target", p.target},
          {"tolerance", p.tolerance},     {"sync_ms", p.sync_period.count()},
          {"idle_ms", p.idle.count()},    {"max_starting", p.max_starting},
          {"scale_up", scaling_rules_json(p.scale_up)}, {"scale_down", scaling_rules_json(p.scale_down)}};
}

AutoscalePolicy autoscale_policy_from_json(const nlohmann::json& j) {
  check_json_keys(j,
                  {"min", "max", "metric", "target", "tolerance", "sync_ms", "idle_ms", "max_starting", "scale_up",
                   "scale_down"},
                  "");
  if (!j.contains("max")) refuse_policy("max is missing (the most instances to run)");
  if (!j.contains("target")) refuse_policy("target is missing (the metric's wanted value per instance)");
  AutoscalePolicy p;
  p.min_replicas = static_cast<int>(whole_from_json(j, "min", p.min_replicas, ""));
  p.max_replicas = static_cast<int>(whole_from_json(j, "max", p.max_replicas, ""));
  if (j.contains("metric")) parse_metric_spelling(string_from_json(j, "metric", ""), p);
  p.target = real_from_json(j, "target", p.target, "");
  p.tolerance = real_from_json(j, "tolerance", p.tolerance, "");
  p.sync_period = milliseconds(whole_from_json(j, "sync_ms", p.sync_period.count(), ""));
  p.idle = milliseconds(whole_from_json(j, "idle_ms", p.idle.count(), ""));
  p.max_starting = static_cast<int>(whole_from_json(j, "max_starting", p.max_starting, ""));
  if (j.contains("scale_up")) p.scale_up = scaling_rules_from_json(j.at("scale_up"), "scale_up", p.scale_up);
  if (j.contains("scale_down")) p.scale_down = scaling_rules_from_json(j.at("scale_down"), "scale_down", p.scale_down);
  validate(p);
  return p;
}

nlohmann::json Decision::to_json() const {
  const auto measured = [&](double v) { return reporting > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"current", current},
          {"ready", ready},
          {"reporting", reporting},
          {"metric", metric},
          {"metric_mean", measured(metric_mean)},
          {"target", target},
          {"ratio", measured(ratio)},
          {"adjusted_ratio", measured(adjusted_ratio)},
          {"raw_desired", raw_desired},
          {"stabilized_desired", stabilized_desired},
          {"desired", desired},
          {"limited_by", lab::to_string(limited_by)},
          {"limit_detail", limit_detail}};
}

Autoscaler::Autoscaler(AutoscalePolicy policy) : policy_(std::move(policy)) { validate(policy_); }

Decision Autoscaler::decide(const Observation& obs, Clock::time_point now) {
  const auto bad = [](const std::string& what) { throw std::invalid_argument("autoscaler: observation " + what); };
  if (obs.current < 0 || obs.ready < 0) bad("has a negative count");
  if (obs.ready > obs.current)
    bad("has " + std::to_string(obs.ready) + " ready of " + std::to_string(obs.current) + " instances");
  if (obs.values.size() > static_cast<std::size_t>(std::max(obs.ready, 1)))
    bad("has " + std::to_string(obs.values.size()) + " values for " + std::to_string(obs.ready) + " ready instances");
  for (double v : obs.values)
    if (!std::isfinite(v) || v < 0) bad("has the value " + spelled_number(v));

  forget_before(now);
  if (!seeded_) {
    recommendations_.push_back({now, obs.current});
    last_request_seen_ = now;
  }
  seeded_ = true;
  if (obs.requests_seen || obs.current == 0) last_request_seen_ = now;

  Decision d;
  d.current = obs.current;
  d.ready = obs.ready;
  d.reporting = static_cast<int>(obs.values.size());
  d.metric = metric_spelling(policy_);
  d.target = policy_.target;
  if (!obs.values.empty()) {
    d.metric_mean = std::accumulate(obs.values.begin(), obs.values.end(), 0.0) / static_cast<double>(obs.values.size());
    d.ratio = d.adjusted_ratio = d.metric_mean / policy_.target;
  }

  Step step = propose(obs, d);
  d.raw_desired = step.replicas;
  if (step.limit != Limit::no_ready_instances && step.limit != Limit::no_metrics) {
    Step stabilized = stabilize(obs.current, step.replicas, now);
    recommendations_.push_back({now, step.replicas});
    if (stabilized.replicas != step.replicas) step = std::move(stabilized);
    d.stabilized_desired = step.replicas;
    Step limited = limit_rate(obs.current, step.replicas, now);
    if (limited.replicas != step.replicas) step = std::move(limited);
  } else {
    d.stabilized_desired = step.replicas;
  }
  if (step.replicas > policy_.max_replicas)
    step = {policy_.max_replicas, Limit::max, "max " + std::to_string(policy_.max_replicas)};
  else if (step.replicas < policy_.min_replicas)
    step = {policy_.min_replicas, Limit::min, "min " + std::to_string(policy_.min_replicas)};
  step = limit_lab_rules(obs, std::move(step), now);
  d.desired = step.replicas;
  d.limited_by = step.limit;
  d.limit_detail = std::move(step.detail);
  return d;
}

// Step 1: the count the metric asks for.
Autoscaler::Step Autoscaler::propose(const Observation& obs, Decision& d) const {
  const double target = policy_.target;
  const double sum = std::accumulate(obs.values.begin(), obs.values.end(), 0.0);
  if (obs.current == 0) {
    if (sum <= 0) return {0};
    return {policy_.metric == MetricKind::in_flight ? std::max(1, ceil_count(sum / target)) : 1};
  }
  if (obs.ready == 0) {
    const std::string none_ready = "no instance is ready (" + std::to_string(obs.current) + " starting or unready)";
    if (sum <= 0 || policy_.metric != MetricKind::in_flight) return {obs.current, Limit::no_ready_instances, none_ready};
    // Requests wait while every instance starts: their concurrency asks for more now.
    return {std::max(obs.current, ceil_count(sum / target))};
  }
  if (obs.values.empty())
    return {obs.current, Limit::no_metrics,
            "none of the " + std::to_string(obs.ready) + " ready instances reported " + d.metric};

  const int unready = obs.current - obs.ready;
  const int missing = obs.ready - d.reporting;
  const double tolerance = policy_.tolerance + kCountSlack;
  // Within tolerance nothing changes, whoever is silent or unready: counting them can
  // only damp a change, never start one. (Kubernetes itself, at a ratio of exactly 1
  // with silent instances, counts them at 0 and scales down; that is not followed.)
  if (std::abs(d.ratio - 1) <= tolerance)
    return {obs.current, Limit::tolerance,
            "ratio " + spelled_number(d.ratio) + " is within " + spelled_number(policy_.tolerance) + " of 1"};
  const bool up_with_unready = unready > 0 && d.ratio > 1;
  if (!up_with_unready && missing == 0) return {ceil_count(sum / target)};  // ceil(ready × ratio), unrounded

  // Kubernetes' conservative count: a ready instance that reported nothing is taken at
  // the target when scaling down and at 0 when scaling up, and an unready one at 0 when
  // scaling up (it is starting, and will take its share of the load once ready).
  double counted_sum = sum;
  int counted = d.reporting + missing;
  if (missing > 0 && d.ratio < 1) counted_sum += missing * target;
  if (up_with_unready) counted += unready;
  d.adjusted_ratio = counted_sum / (counted * target);
  const std::string why = "counting " + std::to_string(up_with_unready ? unready : 0) + " unready and " +
                          std::to_string(missing) + " silent instances, ratio " + spelled_number(d.ratio) +
                          " becomes " + spelled_number(d.adjusted_ratio);
  const bool reversed = (d.ratio < 1 && d.adjusted_ratio > 1) || (d.ratio > 1 && d.adjusted_ratio < 1);
  if (reversed || std::abs(d.adjusted_ratio - 1) <= tolerance) return {obs.current, Limit::tolerance, why};
  const int replicas = ceil_count(counted_sum / target);
  if ((d.adjusted_ratio < 1 && replicas > obs.current) || (d.adjusted_ratio > 1 && replicas < obs.current))
    return {obs.current, Limit::tolerance, why};
  return {replicas};
}

// Step 5: the last instance waits for `idle` without a request; starts are capped.
Autoscaler::Step Autoscaler::limit_lab_rules(const Observation& obs, Step step, Clock::time_point now) const {
  if (step.replicas == 0 && obs.current > 0 && now - last_request_seen_ < policy_.idle) {
    const auto quiet = std::chrono::duration_cast<milliseconds>(now - last_request_seen_);
    return {1, Limit::idle,
            "no request for " + spelled_duration(quiet) + " of idle=" + spelled_duration(policy_.idle)};
  }
  if (policy_.max_starting > 0 && step.replicas > obs.current) {
    const int starting = obs.current - obs.ready;
    const int allowed = obs.current + std::max(0, policy_.max_starting - starting);
    if (step.replicas > allowed)
      return {allowed, Limit::max_starting,
              "starts=" + std::to_string(policy_.max_starting) + ", " + std::to_string(starting) + " starting"};
  }
  return step;
}

// Step 2: no lower than the highest recommendation of the scale-down window, no higher
// than the lowest of the scale-up window. A record exactly `window` old is out of it.
Autoscaler::Step Autoscaler::stabilize(int current, int raw, Clock::time_point now) const {
  const auto up_cutoff = now - policy_.scale_up.stabilization_window;
  const auto down_cutoff = now - policy_.scale_down.stabilization_window;
  int lowest = raw, highest = raw;
  for (const auto& r : recommendations_) {
    if (r.at > up_cutoff) lowest = std::min(lowest, r.replicas);
    if (r.at > down_cutoff) highest = std::max(highest, r.replicas);
  }
  const int stabilized = std::clamp(current, lowest, highest);
  if (stabilized == raw) return {raw};
  if (raw > current)
    return {stabilized, Limit::stabilization_window,
            "scale_up window " + spelled_duration(policy_.scale_up.stabilization_window) +
                ": lowest recommendation " + std::to_string(lowest)};
  return {stabilized, Limit::stabilization_window,
          "scale_down window " + spelled_duration(policy_.scale_down.stabilization_window) +
              ": highest recommendation " + std::to_string(highest)};
}

// Step 3: the rate policies of the direction, each from the count its period started with.
Autoscaler::Step Autoscaler::limit_rate(int current, int wanted, Clock::time_point now) const {
  if (wanted == current) return {wanted};
  const bool up = wanted > current;
  const ScalingRules& rules = up ? policy_.scale_up : policy_.scale_down;
  const std::string direction = up ? "scale_up" : "scale_down";
  if (rules.select == SelectPolicy::disabled) return {current, Limit::policy, direction + " disabled"};

  const auto allows_more = [up](int a, int b) { return up ? a > b : a < b; };
  std::optional<int> bound;
  const ScalingPolicy* chosen = nullptr;
  for (const auto& p : rules.policies) {
    const int start = current - changed_within(p.period, now, true) + changed_within(p.period, now, false);
    const double sign = up ? 1 : -1;
    const double allowed = p.type == ScalingPolicyType::pods ? start + sign * p.value
                                                             : start * (1 + sign * p.value / 100.0);
    // A percentage rounds toward more change, so that a small count can change at all.
    const int b = up ? ceil_count(allowed) : floor_count(allowed);
    if (!bound || (rules.select == SelectPolicy::max ? allows_more(b, *bound) : allows_more(*bound, b))) {
      bound = b;
      chosen = &p;
    }
  }
  // Changes made in the period never force the count the other way; and a percentage of
  // zero instances is zero, so from none the first instance is always allowed.
  const int limit = up ? std::max({*bound, current, current == 0 ? 1 : 0}) : std::min(*bound, current);
  if (up ? wanted <= limit : wanted >= limit) return {wanted};
  return {limit, Limit::policy, direction + " " + to_string(*chosen)};
}

int Autoscaler::changed_within(std::chrono::milliseconds period, Clock::time_point now, bool added) const {
  int total = 0;
  for (const auto& e : events_)
    if (e.at > now - period && (added ? e.delta > 0 : e.delta < 0)) total += added ? e.delta : -e.delta;
  return total;
}

void Autoscaler::record_scale(int from, int to, Clock::time_point now) {
  if (from < 0 || to < 0) throw std::invalid_argument("autoscaler: a scale from " + std::to_string(from) + " to " +
                                                      std::to_string(to) + " has a negative count");
  if (from == to) return;
  forget_before(now);
  events_.push_back({now, to - from});
}

// Drops what no window or period reaches back to any more.
void Autoscaler::forget_before(Clock::time_point now) {
  const auto window = std::max(policy_.scale_up.stabilization_window, policy_.scale_down.stabilization_window);
  std::erase_if(recommendations_, [&](const Recommendation& r) { return r.at <= now - window; });
  milliseconds period{0};
  for (const ScalingRules* rules : {&policy_.scale_up, &policy_.scale_down})
    for (const auto& p : rules->policies) period = std::max(period, p.period);
  std::erase_if(events_, [&](const ScaleEvent& e) { return e.at <= now - period; });
}

}  // namespace scalelab::lab
