// The report's charts (report_charts.hpp). Colours are the Okabe-Ito palette, which
// stays distinguishable with the common colour-vision deficiencies; line series also
// differ by dash pattern so a greyscale print still tells them apart.
#include "lab/report/report_charts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include "lab/journal/scaling.hpp"

#include "lab/report/html_text.hpp"

namespace scalelab::report {
namespace {

using journal::Action;
using journal::Journal;
using journal::LabEvent;
using journal::Sample;

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string> kPalette = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                           "#56B4E9", "#D55E00", "#000000", "#F0E442"};
const std::vector<std::string> kDashes = {"", "7 3", "2 2", "9 3 2 3", "4 2", "1 3"};

struct KindStyle {
  std::string color, dash;
};

// A fixed style per violation kind, so a kind looks the same in every chart and run.
KindStyle violation_style(const std::string& kind) {
  const auto& kinds = journal::known_violation_kinds();
  const auto it = std::find(kinds.begin(), kinds.end(), kind);
  static const std::vector<std::string> kKindColours = {"#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00",
                                                        "#56B4E9", "#000000", "#999999", "#F0E442"};
  if (it != kinds.end()) {
    const auto i = static_cast<std::size_t>(it - kinds.begin());
    return {kKindColours[i], kDashes[i % kDashes.size()]};
  }
  const std::size_t h = std::hash<std::string>{}(kind);
  return {kPalette[h % kPalette.size()], kDashes[h % kDashes.size()]};
}

std::string action_tooltip(const Action& a, const std::string& label) {
  std::string text = (a.rollback ? "rollback: " : "") + label;
  if (!a.type.empty() && a.type != label) text += " (" + a.type + ")";
  if (const auto t = a.chart_time()) text += " at " + html::seconds(*t);
  if (!a.status.empty()) text += ": " + a.status;
  if (!a.detail.empty()) text += " \xE2\x80\x94 " + a.detail;
  return text;
}

std::vector<svg::Marker> markers_for(const Journal& run) {
  std::vector<svg::Marker> markers;
  for (const auto* list : {&run.actions, &run.rollbacks}) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Action& a = (*list)[i];
      const auto t = a.chart_time();
      if (!t) continue;
      const std::string label = a.label(i);
      markers.push_back({*t, (a.rollback ? "rollback: " : "") + label, action_tooltip(a, label),
                         a.rollback ? svg::MarkerKind::rollback : svg::MarkerKind::action, a.status == "failed"});
    }
  }
  return markers;
}

std::vector<svg::EventTick> ticks_for(const Journal& run) {
  std::vector<svg::EventTick> ticks;
  for (const LabEvent& e : run.events) {
    std::string tooltip = html::seconds(e.t_s) + " " + e.kind;
    if (!e.component.empty()) tooltip += " " + e.component;
    if (!e.detail.empty()) tooltip += ": " + e.detail;
    ticks.push_back({e.t_s, e.kind, std::move(tooltip)});
  }
  return ticks;
}

template <class ValueOf>
svg::Series series_of(const Journal& run, std::string name, std::string color, std::string dash, ValueOf value) {
  svg::Series s{std::move(name), std::move(color), std::move(dash), {}};
  for (const Sample& sample : run.series) s.points.push_back({sample.elapsed_s, value(sample)});
  return s;
}

// The lab's instance count as steps over the load's time, starting ones included.
std::vector<svg::Series> instance_count_series(const Journal& run) {
  const auto steps = journal::instance_count_steps(run);
  if (steps.empty()) return {};
  const double end = run.series.empty() ? steps.back().t_s : run.series.back().elapsed_s;
  svg::Series s{"instances", "#009E73", "", {}};
  for (const journal::CountStep& step : steps) {
    if (step.t_s > end) break;
    if (!s.points.empty()) s.points.push_back({step.t_s, s.points.back().y});
    s.points.push_back({step.t_s, static_cast<double>(step.count)});
  }
  s.points.push_back({end, s.points.back().y});
  return {s};
}

// The kinds with at least one violation in this run, known kinds first in their order.
std::vector<std::string> kinds_that_occurred(const Journal& run) {
  std::set<std::string> seen;
  for (const Sample& s : run.series) {
    for (const auto& [kind, n] : s.counts.violations) {
      if (n > 0) seen.insert(kind);
    }
  }
  return journal::in_reading_order(std::move(seen));
}

std::vector<std::string> instance_names(const Journal& run) {
  std::vector<std::string> names;
  for (const Sample& s : run.series) {
    for (const auto& [name, n] : s.instances) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

double latency_point(const Sample& s, double value) {
  // A second without responses has no latency; 0 would draw a false "fast" dip.
  if ((s.latency.count && *s.latency.count <= 0) || !(value > 0)) return kGap;
  return value;
}

}  // namespace

bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool digit_a = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool digit_b = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (digit_a && digit_b) {
      std::size_t end_a = i, end_b = j;
      while (end_a < a.size() && std::isdigit(static_cast<unsigned char>(a[end_a]))) ++end_a;
      while (end_b < b.size() && std::isdigit(static_cast<unsigned char>(b[end_b]))) ++end_b;
      std::string_view run_a(a.data() + i, end_a - i), run_b(b.data() + j, end_b - j);
      while (run_a.size() > 1 && run_a.front() == '0') run_a.remove_prefix(1);
      while (run_b.size() > 1 && run_b.front() == '0') run_b.remove_prefix(1);
      if (run_a.size() != run_b.size()) return run_a.size() < run_b.size();
      if (run_a != run_b) return run_a < run_b;
      i = end_a;
      j = end_b;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j || (a.size() - i == b.size() - j && a < b);
}

namespace {
// Each chart's heading and element id, the optional ones last.
struct ChartName {
  const char* heading;
  const char* id;
};
std::vector<ChartName> chart_names(ChartSet set) {
  std::vector<ChartName> names = {{"Throughput", "throughput"},
                                  {"Error rate", "error-rate"},
                                  {"Violations by kind", "violations"},
                                  {"Latency p50 and p99", "latency"},
                                  {"Answers per instance", "instances"}};
  if (set.instance_count) names.push_back({"Instances running", "instance-count"});
  if (set.database) names.push_back({"Database connections", "database"});
  return names;
}

// The database's connections: what the server held against its budget, and what the
// instances' pools held and waited for.
void fill_database_chart(const Journal& run, svg::Chart& chart) {
  chart.y_label = "connections";
  chart.integer_values = true;
  const auto of = [](std::optional<double> journal::DbConnections::*field) {
    return [field](const Sample& s) { return s.db && ((*s.db).*field) ? *((*s.db).*field) : kGap; };
  };
  using journal::DbConnections;
  chart.series.push_back(series_of(run, "budget", "#000000", "7 3", of(&DbConnections::budget)));
  chart.series.push_back(series_of(run, "held by the server", "#D55E00", "", of(&DbConnections::server)));
  chart.series.push_back(series_of(run, "in the pools (open or opening)", "#0072B2", "", of(&DbConnections::pool_open)));
  chart.series.push_back(series_of(run, "waiting for a connection", "#E69F00", "2 2", of(&DbConnections::pool_waiting)));
  if (!shows_database(run)) chart.empty_note = "this run has no database";
}
}  // namespace

ChartSet ChartSet::for_runs(const std::vector<Journal>& runs) {
  ChartSet set;
  set.instance_count = std::any_of(runs.begin(), runs.end(), shows_instance_count);
  set.database = std::any_of(runs.begin(), runs.end(), shows_database);
  return set;
}

std::vector<std::string> chart_headings(ChartSet set) {
  std::vector<std::string> headings;
  for (const ChartName& n : chart_names(set)) headings.emplace_back(n.heading);
  return headings;
}

bool shows_instance_count(const Journal& run) {
  if (run.experiment.cluster.contains("autoscale")) return true;
  return std::any_of(run.events.begin(), run.events.end(),
                     [](const journal::LabEvent& e) { return e.kind == "scale" && e.t_s > 0; });
}

bool shows_database(const Journal& run) {
  return std::any_of(run.series.begin(), run.series.end(), [](const Sample& s) { return s.db.has_value(); });
}

std::vector<svg::Chart> charts_for(const Journal& run, const std::string& id_prefix, bool compact, ChartSet set) {
  const auto markers = markers_for(run);
  const auto ticks = ticks_for(run);
  const auto chart_list = chart_names(set);
  std::vector<svg::Chart> charts(chart_list.size());
  for (std::size_t i = 0; i < charts.size(); ++i) {
    const std::string heading = chart_list[i].heading;
    charts[i].id = id_prefix + chart_list[i].id;
    charts[i].title = heading + (run.label.empty() ? "" : " (" + run.label + ")");
    charts[i].markers = markers;
    charts[i].ticks = ticks;
    charts[i].compact = compact;
  }

  svg::Chart& throughput = charts[0];
  throughput.y_label = "requests/s";
  throughput.integer_values = true;
  throughput.series.push_back(series_of(run, "throughput", "#0072B2", "", [](const Sample& s) { return s.rps; }));
  if (std::any_of(run.series.begin(), run.series.end(), [](const Sample& s) { return s.ceiling.has_value(); }))
    throughput.series.push_back(series_of(run, "ceiling (Little's law)", "#000000", "7 3", [](const Sample& s) {
      return s.ceiling ? s.ceiling->rps : kGap;
    }));

  svg::Chart& errors = charts[1];
  errors.y_label = "failed requests (%)";
  if (!run.series.empty()) errors.empty_note = "no requests completed";
  errors.series.push_back(series_of(run, "failed requests", "#D55E00", "", [](const Sample& s) {
    return s.counts.requests > 0 ? 100.0 * s.counts.errors / s.counts.requests : kGap;
  }));

  svg::Chart& violations = charts[2];
  violations.y_label = "violations/s";
  violations.integer_values = true;
  for (const std::string& kind : kinds_that_occurred(run)) {
    const KindStyle style = violation_style(kind);
    violations.series.push_back(series_of(run, kind, style.color, style.dash, [&kind](const Sample& s) {
      return journal::count_of(s.counts.violations, kind);
    }));
  }
  if (violations.series.empty()) violations.empty_note = run.series.empty() ? "no samples" : "no violations";

  svg::Chart& latency = charts[3];
  latency.y_label = "latency (ms)";
  latency.allow_log = true;
  if (!run.series.empty()) latency.empty_note = "no responses";
  latency.series.push_back(
      series_of(run, "p50", "#0072B2", "", [](const Sample& s) { return latency_point(s, s.latency.p50); }));
  latency.series.push_back(
      series_of(run, "p99", "#D55E00", "7 3", [](const Sample& s) { return latency_point(s, s.latency.p99); }));

  svg::Chart& instances = charts[4];
  instances.y_label = "answers/s";
  instances.integer_values = true;
  instances.stacked = true;
  const auto names = instance_names(run);
  for (std::size_t k = 0; k < names.size(); ++k) {
    const std::string& name = names[k];
    instances.series.push_back(series_of(run, name, kPalette[k % kPalette.size()], "", [&name](const Sample& s) {
      for (const auto& [instance, n] : s.instances) {
        if (instance == name) return n;
      }
      return 0.0;
    }));
  }
  if (instances.series.empty()) instances.empty_note = run.series.empty() ? "no samples" : "no answers recorded";
  if (set.database) fill_database_chart(run, charts.back());
  if (set.instance_count) {
    svg::Chart& count = charts[5];
    count.y_label = "instances";
    count.integer_values = true;
    count.series = instance_count_series(run);
    if (count.series.empty()) count.empty_note = "the run does not say how many it started with";
  }
  return charts;
}

void share_axes(std::vector<std::vector<svg::Chart>>& charts_per_run) {
  if (charts_per_run.empty()) return;
  for (std::size_t i = 0; i < charts_per_run.front().size(); ++i) {
    svg::Extent shared = svg::extent_of(charts_per_run.front()[i]);
    for (const auto& run : charts_per_run) shared = svg::merge(shared, svg::extent_of(run.at(i)));
    for (auto& run : charts_per_run) run.at(i).shared_extent = shared;
  }
}

}  // namespace scalelab::report
