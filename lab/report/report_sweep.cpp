// See report_sweep.hpp.
#include "lab/report/report_sweep.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "lab/journal/ceiling.hpp"

namespace scalelab::report {
namespace {

const std::vector<std::string> kColours = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"};

// One point: the run's users, its throughput against its ceiling over its first phase
// (the settled seconds of one instance count) and the load's p99 over the whole run.
struct SweepPoint {
  double users = 0, rps = 0, ceiling = 0, p99 = 0;
};

std::optional<SweepPoint> point_of(const journal::Journal& run) {
  if (!run.capacity || !run.capacity->users) return std::nullopt;
  const auto phases = journal::ceiling_phases(run);
  if (phases.empty()) return std::nullopt;
  SweepPoint p{*run.capacity->users, phases.front().measured_rps, phases.front().ceiling.rps, 0};
  if (run.load && run.load->totals) p.p99 = run.load->totals->latency.p99;
  return p;
}

}  // namespace

std::vector<std::pair<std::string, svg::Chart>> sweep_charts(const journal::Demo& demo) {
  // work ("io", "cpu" or "mix": journal::Capacity::work) -> model -> points by users
  std::map<std::string, std::map<std::string, std::map<double, SweepPoint>>> sweep;
  std::set<double> users;
  std::vector<std::string> models;  // in the order the runs name them
  for (const journal::Journal& run : demo.runs) {
    const auto p = point_of(run);
    if (!p) return {};
    const std::string model = journal::app_model(run);
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
    sweep[run.capacity->work()][model][p->users] = *p;
    users.insert(p->users);
  }
  if (users.size() < 2) return {};

  std::vector<std::pair<std::string, svg::Chart>> charts;
  const std::map<std::string, std::string> titles{{"io", "I/O-bound"}, {"cpu", "CPU-bound"}, {"mix", "mixed work"}};
  for (const auto& [kind, by_model] : sweep) {
    // A work measured at one point only (the concurrency demo's mix, at 1000 users)
    // draws each model as a dot: the models side by side, at that point.
    const std::string& work = titles.at(kind);
    svg::Chart throughput, p99;
    for (auto* c : {&throughput, &p99}) {
      c->x_label = "virtual users, log10 (1 = 10, 2 = 100, 3 = 1000)";
      c->allow_log = c == &p99;
    }
    throughput.id = "sweep-" + kind + "-throughput";
    throughput.title = "Throughput against users, " + work;
    throughput.y_label = "requests/s";
    throughput.integer_values = true;
    p99.id = "sweep-" + kind + "-p99";
    p99.title = "p99 against users, " + work;
    p99.y_label = "ms";
    for (std::size_t m = 0; m < models.size(); ++m) {
      const auto it = by_model.find(models[m]);
      if (it == by_model.end()) continue;
      const std::string& colour = kColours[m % kColours.size()];
      svg::Series served{models[m], colour, "", {}}, ceiling{models[m] + " ceiling", colour, "7 3", {}},
          latency{models[m], colour, "", {}};
      for (const auto& [n, p] : it->second) {
        const double x = std::log10(n);
        served.points.push_back({x, p.rps});
        ceiling.points.push_back({x, p.ceiling});
        latency.points.push_back({x, p.p99 > 0 ? p.p99 : std::nan("")});
      }
      throughput.series.push_back(std::move(served));
      throughput.series.push_back(std::move(ceiling));
      p99.series.push_back(std::move(latency));
    }
    charts.emplace_back("Throughput against users, " + work + " (dashed: each model's ceiling)", std::move(throughput));
    charts.emplace_back("p99 against users, " + work, std::move(p99));
  }
  return charts;
}

}  // namespace scalelab::report
