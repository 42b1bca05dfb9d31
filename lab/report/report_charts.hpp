// The charts a report has, and how a journal becomes their series, markers and ticks.
// That choice is the report's substance; svg_chart only knows how to draw. Keeping the
// one list here keeps the single-run report and the demo's side-by-side grid
// identical.
#pragma once

#include <string>
#include <vector>

#include "lab/journal/journal.hpp"
#include "lab/report/svg_chart.hpp"

namespace scalelab::report {

// The optional charts a report draws (every run of a demo draws the same ones).
struct ChartSet {
  bool instance_count = false;  // the instances the lab ran (journal/scaling.hpp)
  bool database = false;        // the database's connections against its budget
  // What `runs` call for: the count when any run's could move (shows_instance_count),
  // the database when any run measured it (shows_database).
  static ChartSet for_runs(const std::vector<journal::Journal>& runs);
};

// The charts of one run, in report order: throughput, error rate, violations by kind,
// latency p50/p99, answers per instance, then the optional ones of `set`. Every chart
// carries a marker for each action and rollback that has a time, and a tick for each
// lab event. Element ids start with `id_prefix` (unique per run in a document).
std::vector<svg::Chart> charts_for(const journal::Journal& run, const std::string& id_prefix, bool compact,
                                   ChartSet set);

// Whether a run's count moved, or could have: an autoscaled run, or one with a scale
// event after its start. Its report then charts the count.
bool shows_instance_count(const journal::Journal& run);
// Whether a run's samples carry the database's connections (a lab with a database).
bool shows_database(const journal::Journal& run);

// The visible heading of the i-th chart of charts_for ("Throughput", ...).
std::vector<std::string> chart_headings(ChartSet set);

// Gives the i-th chart of every run the same axes (the union of their extents), so
// runs drawn side by side compare at a glance. All runs must have the same charts.
void share_axes(std::vector<std::vector<svg::Chart>>& charts_per_run);

// A's place among instance names in natural order: "app-2" before "app-10".
bool natural_less(const std::string& a, const std::string& b);

}  // namespace scalelab::report
