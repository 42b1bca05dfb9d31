#include "lab/experiment/hypothesis.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string_view>

namespace scalelab::experiment {
namespace {

using journal::ProbeResult;
using journal::Sample;

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The time after the last action ended before "after the method" begins: the lab gets
// this long to react (health checks, reconnects) before it is judged.
constexpr double kSettle_s = 2.0;

// What a measure looks at.
struct Probing {
  const ProbeSpec& probe;
  const std::vector<Sample>& samples;        // every second so far
  const std::vector<const Sample*>& window;  // the seconds of the probe's window
  const Timeline& when;
  const nlohmann::json& lab_status;
};

// One probe type's measure: fills `out` (value, detail and the type's own fields) and
// returns the number the tolerance judges.
using Measure = double (*)(const Probing& in, ProbeResult& out);

// The samples a probe looks at.
std::vector<const Sample*> window_of(const ProbeSpec& p, const std::vector<Sample>& samples, const Timeline& when) {
  double from = 0, to = when.now_s + 1e9;
  if (p.window == "before" && when.first_action_s) to = *when.first_action_s;
  if (p.window == "after_method" && when.last_action_s) from = *when.last_action_s + kSettle_s;
  std::vector<const Sample*> out;
  for (const Sample& s : samples) {
    const double start = s.elapsed_s - s.interval();
    if (start >= from - 1e-9 && s.elapsed_s <= to + 0.5) out.push_back(&s);
  }
  return out;
}

template <class ValueOf>
double sum(const std::vector<const Sample*>& window, ValueOf value_of) {
  double total = 0;
  for (const Sample* s : window) total += value_of(*s);
  return total;
}

double violations(const Probing& in, ProbeResult& out) {
  const ProbeSpec& p = in.probe;
  const bool any = p.kind == "any";
  const auto checks_of = [&](const std::string& check) {
    return sum(in.window, [&](const Sample& s) { return journal::count_of(s.counts.checks, check); });
  };
  double count = 0, checks = 0;
  for (const std::string& kind : journal::known_violation_kinds()) {
    if (!any && p.kind != kind) continue;
    count += sum(in.window, [&](const Sample& s) { return journal::count_of(s.counts.violations, kind); });
    checks += checks_of(journal::check_kind_of(kind));
  }
  if (any) {  // each check kind counted once
    checks = 0;
    for (const std::string& check : journal::known_check_kinds()) checks += checks_of(check);
  }
  const double rate = checks > 0 ? count / checks : 0;
  const double value = p.rate ? rate : count;
  out.kind = p.kind;
  out.rate = p.rate;
  out.value = value;
  out.detail = fmt(count, 0) + " " + (any ? std::string("violations") : p.kind) + " in " + fmt(checks, 0) +
               " checks (" + fmt(100 * rate, 1) + " %)";
  return value;
}

double error_rate(const Probing& in, ProbeResult& out) {
  const double requests = sum(in.window, [](const Sample& s) { return s.counts.requests; });
  const double errors = sum(in.window, [](const Sample& s) { return s.counts.errors; });
  const double value = requests > 0 ? errors / requests : 0;
  out.value = value;
  out.detail = fmt(errors, 0) + " failed of " + fmt(requests, 0) + " requests (" + fmt(100 * value, 2) + " %)";
  return value;
}

// A second's latency at `percentile` (50, 90, 99 or 999); 0 for another.
double latency_at(const journal::Latency& l, int percentile) {
  switch (percentile) {
    case 50: return l.p50;
    case 90: return l.p90;
    case 99: return l.p99;
    case 999: return l.p999;
    default: return 0;
  }
}

double latency(const Probing& in, ProbeResult& out) {
  const int percentile = in.probe.percentile;
  double value = 0;
  for (const Sample* s : in.window) value = std::max(value, latency_at(s->latency, percentile));
  out.percentile = percentile;
  out.value = value;
  out.detail = "worst per-second p" + std::to_string(percentile) + " " + fmt(value) + " ms";
  return value;
}

double throughput(const Probing& in, ProbeResult& out) {
  const double value =
      sum(in.window, [](const Sample& s) { return s.counts.requests; }) / static_cast<double>(in.window.size());
  out.value = value;
  out.detail = fmt(value, 0) + " requests/s on average over " + std::to_string(in.window.size()) + " s";
  return value;
}

// The window's throughput against its ceiling (lab/journal/ceiling.hpp): the mean
// requests per second over the mean of the seconds' ceilings, on the seconds that have
// one. 0 when none has (the run's mix has no known service time).
double ceiling(const Probing& in, ProbeResult& out) {
  const journal::Efficiency e = journal::efficiency_over(in.window);
  out.value = e.ratio();
  out.detail = e.seconds == 0 ? "no second of the window has a ceiling (only a `work` mix has one)"
                              : fmt(e.measured_rps, 0) + " requests/s against a ceiling of " + fmt(e.ceiling_rps, 0) +
                                    ": " + fmt(100 * e.ratio(), 0) + " %";
  return e.ratio();
}

// Mean throughput once the method is over (after kSettle_s) against the mean before it
// began: how much the actions (a scale-out) changed what the lab serves.
double throughput_growth(const Probing& in, ProbeResult& out) {
  const Timeline& when = in.when;
  double before = 0, after = 0;
  int n_before = 0, n_after = 0;
  for (const Sample& s : in.samples) {
    const double end = s.elapsed_s;
    if (when.first_action_s && end <= *when.first_action_s) before += s.counts.requests, ++n_before;
    if (when.last_action_s && end - 1 >= *when.last_action_s + kSettle_s) after += s.counts.requests, ++n_after;
  }
  const double mean_before = n_before ? before / n_before : 0, mean_after = n_after ? after / n_after : 0;
  const double value = mean_before > 0 ? mean_after / mean_before : 0;
  out.value = value;
  out.detail = fmt(mean_before, 0) + " requests/s before the method, " + fmt(mean_after, 0) + " after: x" + fmt(value);
  return value;
}

double status(const Probing& in, ProbeResult& out) {
  const std::string& status = in.probe.status;
  const double value = sum(in.window, [&](const Sample& s) { return journal::count_of(s.counts.status, status); });
  out.status = status;
  out.value = value;
  out.detail = fmt(value, 0) + " answers " + status;
  return value;
}

// Every instance ready in the supervisor's status (a lab that does not answer is not).
double ready(const Probing& in, ProbeResult& out) {
  const nlohmann::json& lab = in.lab_status;
  bool ready = lab.is_object() && lab.contains("components");
  int instances = 0, ready_instances = 0;
  if (ready) {
    for (const auto& c : lab["components"]) {
      if (c["kind"] == "app") {
        ++instances;
        ready_instances += c["state"] == "ready";
      }
    }
  }
  ready = ready && instances > 0 && ready_instances == instances;
  out.value = ready;
  out.detail = std::to_string(ready_instances) + " of " + std::to_string(instances) + " instances ready";
  return ready ? 1 : 0;
}

// The most instances that answered within one second of the window ("unknown", an
// answer with no X-Instance, is not one): what an autoscaler or a scale action made
// serve, seen from the client.
double instances_serving(const Probing& in, ProbeResult& out) {
  double value = 0;
  for (const Sample* s : in.window) {
    double serving = 0;
    for (const auto& [instance, answers] : s->instances) serving += instance != "unknown" && answers > 0;
    value = std::max(value, serving);
  }
  out.value = value;
  out.detail = "at most " + fmt(value, 0) + " instances answered within one second";
  return value;
}

// Scale to zero: the worst per-second percentile of how long requests waited for an
// instance to start (the balancer's X-Scalelab-Cold-Start-Ms), and how many waited.
double cold_start(const Probing& in, ProbeResult& out) {
  const int percentile = in.probe.percentile;
  double value = 0, waited = 0;
  for (const Sample* s : in.window) {
    if (!s->cold_start) continue;
    value = std::max(value, latency_at(*s->cold_start, percentile));
    waited += static_cast<double>(s->cold_start->count.value_or(0));
  }
  out.percentile = percentile;
  out.value = value;
  out.detail = fmt(waited, 0) + " requests waited for an instance to start; worst per-second p" +
               std::to_string(percentile) + " " + fmt(value, 0) + " ms";
  return value;
}

struct ProbeType {
  std::string_view name;
  Measure measure;
  bool needs_samples;      // an empty window is measured as 0 without the measure
  bool after_method_only;  // skipped when checked before the method
};

constexpr ProbeType kProbeTypes[] = {
    {"violations", violations, true, false},         {"error_rate", error_rate, true, false},
    {"latency", latency, true, false},               {"throughput", throughput, true, false},
    {"throughput_growth", throughput_growth, true, true}, {"status", status, true, false},
    {"ready", ready, false, false},                  {"instances_serving", instances_serving, true, false},
    {"cold_start", cold_start, true, false},         {"ceiling", ceiling, true, false},
};

const ProbeType& probe_type(const std::string& name) {
  for (const ProbeType& type : kProbeTypes) {
    if (type.name == name) return type;
  }
  throw std::invalid_argument("no measure for probe type '" + name + "'");
}

}  // namespace

ProbeResult evaluate_probe(const ProbeSpec& p, const std::vector<Sample>& samples, const Timeline& when,
                           const nlohmann::json& lab_status) {
  const ProbeType& type = probe_type(p.type);
  ProbeResult out;
  out.name = p.name;
  out.type = p.type;
  out.window = p.window;
  out.tolerance = p.tolerance;
  const bool before_method = when.last_action_s && when.now_s < *when.last_action_s;
  if (before_method && (p.window == "after_method" || type.after_method_only)) {
    out.met = true;
    out.detail = "measured after the method";
    return out;
  }
  const auto window = window_of(p, samples, when);
  double value = 0;
  if (type.needs_samples && window.empty()) {
    out.value = std::int64_t{0};
    out.detail = "no load samples in the window";
  } else {
    value = type.measure(Probing{p, samples, window, when, lab_status}, out);
  }
  out.met = p.tolerance.accepts(value);
  return out;
}

journal::HypothesisCheck evaluate_hypothesis(const std::vector<ProbeSpec>& probes, const std::vector<Sample>& samples,
                                             const Timeline& when, const nlohmann::json& lab_status) {
  journal::HypothesisCheck check;
  check.met = true;
  for (const ProbeSpec& p : probes) {
    check.probes.push_back(evaluate_probe(p, samples, when, lab_status));
    check.met = *check.met && *check.probes.back().met;
  }
  return check;
}

}  // namespace scalelab::experiment
