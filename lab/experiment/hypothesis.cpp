#include "lab/experiment/hypothesis.hpp"

#include <algorithm>
#include <cstdio>

namespace scalelab::experiment {
namespace {

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double number(const nlohmann::json& j, const std::string& key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

// The time after the last action before "after the method" begins: the lab gets this
// long to react (health checks, reconnects) before it is judged.
constexpr double kSettle_s = 2.0;

// The samples a probe looks at.
std::vector<const nlohmann::json*> window_of(const ProbeSpec& p, const std::vector<nlohmann::json>& samples,
                                             const Timeline& when) {
  double from = 0, to = when.now_s + 1e9;
  if (p.window == "before" && when.first_action_s) to = *when.first_action_s;
  if (p.window == "after_method" && when.last_action_s) from = *when.last_action_s + kSettle_s;
  std::vector<const nlohmann::json*> out;
  for (const auto& s : samples) {
    const double end = number(s, "elapsed_s");
    const double start = end - (s.contains("interval_s") ? number(s, "interval_s") : 1.0);
    if (start >= from - 1e-9 && end <= to + 0.5) out.push_back(&s);
  }
  return out;
}

double sum(const std::vector<const nlohmann::json*>& w, const std::string& group, const std::string& key) {
  double total = 0;
  for (const auto* s : w)
    if (s->contains(group)) total += number((*s)[group], key);
  return total;
}

double sum_top(const std::vector<const nlohmann::json*>& w, const std::string& key) {
  double total = 0;
  for (const auto* s : w) total += number(*s, key);
  return total;
}

const char* kViolationKinds[] = {"session_lost", "cart_lost_write", "upload_missing", "upload_corrupt", "stale_read",
                                 "rate_limit_exceeded"};

}  // namespace

nlohmann::json evaluate_probe(const ProbeSpec& p, const std::vector<nlohmann::json>& samples, const Timeline& when,
                              const nlohmann::json& lab_status) {
  nlohmann::json out{{"name", p.name}, {"type", p.type}, {"window", p.window}, {"tolerance", p.tolerance.to_json()}};
  double value = 0;
  std::string detail;
  const auto w = window_of(p, samples, when);
  const bool before_method = when.last_action_s && when.now_s < *when.last_action_s;
  if (before_method && (p.window == "after_method" || p.type == "throughput_growth")) {
    out["value"] = nullptr;
    out["met"] = true;
    out["detail"] = "measured after the method";
    return out;
  }
  if (p.type == "ready") {
    bool ready = lab_status.is_object() && lab_status.contains("components");
    int instances = 0, ready_instances = 0;
    if (ready)
      for (const auto& c : lab_status["components"])
        if (c["kind"] == "app") {
          ++instances;
          ready_instances += c["state"] == "ready";
        }
    ready = ready && instances > 0 && ready_instances == instances;
    value = ready ? 1 : 0;
    out["value"] = ready;
    detail = std::to_string(ready_instances) + " of " + std::to_string(instances) + " instances ready";
  } else if (w.empty()) {
    out["value"] = 0;
    detail = "no load samples in the window";
  } else if (p.type == "violations") {
    out["kind"] = p.kind;
    double count = 0, checks = 0;
    for (const char* kind : kViolationKinds) {
      if (p.kind != "any" && p.kind != kind) continue;
      count += sum(w, "violations", kind);
      checks += sum(w, "checks", check_kind_of(kind));
    }
    if (p.kind == "any") {  // each check kind counted once
      checks = 0;
      for (const char* ck : {"session", "cart", "upload", "item", "ratelimit"}) checks += sum(w, "checks", ck);
    }
    const double rate = checks > 0 ? count / checks : 0;
    value = p.rate ? rate : count;
    out["value"] = value;
    out["rate"] = p.rate;
    detail = fmt(count, 0) + " " + (p.kind == "any" ? std::string("violations") : p.kind) + " in " + fmt(checks, 0) +
             " checks (" + fmt(100 * rate, 1) + " %)";
  } else if (p.type == "error_rate") {
    const double requests = sum_top(w, "requests"), errors = sum_top(w, "errors");
    value = requests > 0 ? errors / requests : 0;
    out["value"] = value;
    detail = fmt(errors, 0) + " failed of " + fmt(requests, 0) + " requests (" + fmt(100 * value, 2) + " %)";
  } else if (p.type == "latency") {
    out["percentile"] = p.percentile;
    const std::string key = "p" + std::to_string(p.percentile);
    for (const auto* s : w)
      if (s->contains("latency_ms")) value = std::max(value, number((*s)["latency_ms"], key));
    out["value"] = value;
    detail = "worst per-second " + key + " " + fmt(value) + " ms";
  } else if (p.type == "throughput") {
    value = sum_top(w, "requests") / static_cast<double>(w.size());
    out["value"] = value;
    detail = fmt(value, 0) + " requests/s on average over " + std::to_string(w.size()) + " s";
  } else if (p.type == "throughput_growth") {
    // Mean throughput once the method is over (after 2 s to settle) against the mean
    // before it began: how much the actions (a scale-out) changed what the lab serves.
    double before = 0, after = 0;
    int n_before = 0, n_after = 0;
    for (const auto& s : samples) {
      const double end = number(s, "elapsed_s");
      if (when.first_action_s && end <= *when.first_action_s) before += number(s, "requests"), ++n_before;
      if (when.last_action_s && end - 1 >= *when.last_action_s + kSettle_s) after += number(s, "requests"), ++n_after;
    }
    const double mean_before = n_before ? before / n_before : 0, mean_after = n_after ? after / n_after : 0;
    value = mean_before > 0 ? mean_after / mean_before : 0;
    out["value"] = value;
    detail = fmt(mean_before, 0) + " requests/s before the method, " + fmt(mean_after, 0) + " after: x" + fmt(value);
  } else if (p.type == "status") {
    out["status"] = p.status;
    value = sum(w, "status", p.status);
    out["value"] = value;
    detail = fmt(value, 0) + " answers " + p.status;
  }
  out["met"] = p.tolerance.accepts(value);
  out["detail"] = detail;
  return out;
}

nlohmann::json evaluate_hypothesis(const std::vector<ProbeSpec>& probes, const std::vector<nlohmann::json>& samples,
                                   const Timeline& when, const nlohmann::json& lab_status) {
  nlohmann::json results = nlohmann::json::array();
  bool met = true;
  for (const auto& p : probes) {
    auto r = evaluate_probe(p, samples, when, lab_status);
    met = met && r["met"].get<bool>();
    results.push_back(std::move(r));
  }
  return {{"met", met}, {"probes", results}};
}

}  // namespace scalelab::experiment
