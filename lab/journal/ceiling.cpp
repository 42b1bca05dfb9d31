// See ceiling.hpp.
#include "lab/journal/ceiling.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "lab/journal/journal.hpp"

namespace scalelab::journal {
namespace {

// A new instance count, or the load's start, needs this long before its seconds say
// what the count can do.
constexpr std::size_t kSettleSeconds = 2;
// Within this share of its ceiling a run counts as held by that ceiling.
constexpr double kNearCeiling = 0.8;
// The machine's CPU counts as the bound from this mean share of all cores.
constexpr double kBusyCpu = 0.85;

std::string number(double v, int decimals = 0) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << v;
  return out.str();
}

std::string ms(double seconds) { return number(seconds * 1000, seconds * 1000 < 10 ? 1 : 0) + " ms"; }

std::string plural(double n, const std::string& word) { return number(n) + " " + word + (n == 1 ? "" : "s"); }

double field(const nlohmann::json& j, const char* key, const std::string& path, double fallback = 0) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number()) throw std::invalid_argument("journal field '" + path + "." + key + "' must be a number");
  return j[key].get<double>();
}

std::string text(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (!j[key].is_string()) throw std::invalid_argument("journal field '" + path + "." + key + "' must be a string");
  return j[key].get<std::string>();
}

Efficiency efficiency_between(const Journal& run, std::size_t from, std::size_t to) {
  std::vector<const Sample*> seconds;
  for (std::size_t i = from; i < to; ++i) seconds.push_back(&run.series[i]);
  return efficiency_over(seconds);
}

CeilingPhase phase_of(const Journal& run, std::size_t from, std::size_t to) {
  const Capacity& c = *run.capacity;
  CeilingPhase p;
  p.from_s = run.series[from].elapsed_s - run.series[from].interval();
  p.to_s = run.series[to - 1].elapsed_s;
  const Efficiency e = efficiency_between(run, from, to);
  p.measured_rps = e.measured_rps;
  p.ceiling.rps = e.ceiling_rps;
  p.efficiency = e.ratio();
  p.ceiling.bound = run.series[to - 1].ceiling->bound;
  p.ceiling.instances = run.series[from].ceiling->instances;
  double cpu = 0;
  std::size_t cpu_seconds = 0;
  for (std::size_t i = from; i < to; ++i) {
    const Sample& s = run.series[i];
    p.p50_ms += s.latency.p50 / static_cast<double>(to - from);
    if (s.cpu_busy) cpu += *s.cpu_busy, ++cpu_seconds;
  }
  if (cpu_seconds > 0) p.cpu_busy = cpu / static_cast<double>(cpu_seconds);

  const std::string measured = number(p.measured_rps) + " requests/s measured, " +
                               number(p.efficiency * 100) + " % of " + explain(c, p.ceiling);
  const double work_ms = c.service_s() * 1000;
  if (p.efficiency >= kNearCeiling) {
    p.limited_by = p.ceiling.bound;
    p.why = measured;
  } else if (p.cpu_busy && *p.cpu_busy >= kBusyCpu) {
    p.limited_by = "cpu";
    p.why = measured + "; the machine's " + plural(c.cores, "core") + " were " + number(*p.cpu_busy * 100) +
            " % busy: the instances, the balancer and the load generator share them";
  } else if (work_ms > 0 && p.p50_ms > 1.5 * work_ms) {
    p.limited_by = "queueing";
    p.why = measured + "; a median request took " + number(p.p50_ms, 1) + " ms for " + number(work_ms, 1) +
            " ms of work: it waited for a worker or a connection";
  } else {
    p.limited_by = "client";
    p.why = measured + "; a median request took " + number(p.p50_ms, 1) + " ms for " + number(work_ms, 1) +
            " ms of work" + (p.cpu_busy ? " and the CPU was " + number(*p.cpu_busy * 100) + " % busy" : "") +
            ": the load generator or the path to the lab set the pace";
  }
  return p;
}

}  // namespace

double Capacity::usable_cores(double instances) const {
  if (!cpu_threads_per_instance) return cores;
  return std::min(cores, instances * *cpu_threads_per_instance);
}

std::optional<Ceiling> ceiling_at(const Capacity& c, double instances, std::optional<double> offered_rps) {
  std::optional<Ceiling> best;
  auto consider = [&](double rps, const char* bound) {
    if (!(rps >= 0) || std::isinf(rps)) return;
    if (!best || rps < best->rps) best = Ceiling{rps, bound, instances};
  };
  if (c.service_s() > 0) {
    if (c.users) consider(*c.users / c.service_s(), "users");
    if (c.slots_per_instance > 0) consider(instances * c.slots_per_instance / c.service_s(), "instances");
  }
  if (c.cpu_s > 0 && c.cores > 0) consider(c.usable_cores(instances) / c.cpu_s, "cores");
  if (offered_rps) consider(*offered_rps, "offered load");
  return best;
}

std::string explain(const Capacity& c, const Ceiling& ceiling) {
  const std::string result = " = " + number(ceiling.rps) + " requests/s";
  if (ceiling.bound == "users") return plural(c.users.value_or(0), "user") + " / " + ms(c.service_s()) + result;
  if (ceiling.bound == "instances")
    return plural(ceiling.instances, "instance") + " x " + c.slots_reason + " / " + ms(c.service_s()) + result;
  if (ceiling.bound == "cores") {
    if (c.usable_cores(ceiling.instances) < c.cores)
      return plural(ceiling.instances, "instance") + " x " + plural(*c.cpu_threads_per_instance, "handler thread") +
             " (of " + plural(c.cores, "core") + ") / " + ms(c.cpu_s) + " of CPU" + result;
    return plural(c.cores, "core") + " / " + ms(c.cpu_s) + " of CPU" + result;
  }
  return "the " + number(ceiling.rps) + " requests/s the load offers";
}

Efficiency efficiency_over(const std::vector<const Sample*>& seconds) {
  Efficiency e;
  for (const Sample* s : seconds) {
    if (!s->ceiling || !(s->ceiling->rps > 0)) continue;
    // Served: an error (a 503 from a full queue, a reset) did not use the capacity the
    // ceiling counts, and answered at once it would inflate the rate.
    const double served = std::max(0.0, s->counts.requests - s->counts.errors);
    e.measured_rps += s->interval() > 0 ? served / s->interval() : 0;
    e.ceiling_rps += s->ceiling->rps;
    ++e.seconds;
  }
  if (e.seconds > 0) {
    e.measured_rps /= static_cast<double>(e.seconds);
    e.ceiling_rps /= static_cast<double>(e.seconds);
  }
  return e;
}

std::vector<CeilingPhase> ceiling_phases(const Journal& run) {
  std::vector<CeilingPhase> phases;
  if (!run.capacity) return phases;
  const auto& series = run.series;
  for (std::size_t i = 0; i < series.size();) {
    if (!series[i].ceiling) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < series.size() && series[end].ceiling && series[end].ceiling->instances == series[i].ceiling->instances)
      ++end;
    std::size_t from = i + kSettleSeconds, to = end;
    if (to > from && series[to - 1].interval() < 0.999) --to;  // the last, partial second
    // A stretch with no instance ready (scale to zero) has a ceiling of 0: nothing to
    // measure against.
    if (to >= from + 2 && efficiency_between(run, from, to).seconds > 0) phases.push_back(phase_of(run, from, to));
    i = end;
  }
  return phases;
}

nlohmann::json to_json(const Capacity& c) {
  nlohmann::json j{{"io_s", c.io_s},
                   {"cpu_s", c.cpu_s},
                   {"slots_per_instance", c.slots_per_instance},
                   {"slots_reason", c.slots_reason},
                   {"cores", c.cores}};
  if (c.users) j["users"] = *c.users;
  if (c.cpu_threads_per_instance) j["cpu_threads_per_instance"] = *c.cpu_threads_per_instance;
  return j;
}

nlohmann::json to_json(const Ceiling& c) { return {{"rps", c.rps}, {"bound", c.bound}, {"instances", c.instances}}; }

Capacity parse_capacity(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) throw std::invalid_argument("journal field '" + path + "' must be an object");
  Capacity c;
  c.io_s = field(j, "io_s", path);
  c.cpu_s = field(j, "cpu_s", path);
  if (j.contains("users") && !j["users"].is_null()) c.users = field(j, "users", path);
  c.slots_per_instance = field(j, "slots_per_instance", path);
  c.slots_reason = text(j, "slots_reason", path);
  c.cores = field(j, "cores", path);
  if (j.contains("cpu_threads_per_instance") && !j["cpu_threads_per_instance"].is_null())
    c.cpu_threads_per_instance = field(j, "cpu_threads_per_instance", path);
  return c;
}

Ceiling parse_ceiling(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) throw std::invalid_argument("journal field '" + path + "' must be an object");
  return {field(j, "rps", path), text(j, "bound", path), field(j, "instances", path)};
}

}  // namespace scalelab::journal
