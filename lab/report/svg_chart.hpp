// Draws a report's charts as inline SVG. A chaos report is read through its charts,
// and one that needs no browser script has to draw them itself. This draws one kind of
// chart, the one every report chart is: values over seconds since t0, as lines or a
// stacked area, with round-numbered axes, a legend, the experiment's actions as
// labelled vertical markers and the lab's events as small ticks with tooltips.
//
// Contract: every string in a Chart is raw text (it is escaped here). The output is a
// single <svg> element without xmlns or external references, valid inline in HTML5.
// Values below zero are drawn at zero; values beyond the axis are clamped to its edge.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::report::svg {

// A y that is NaN is a gap: the line breaks there (e.g. latency in a second with no
// response).
struct Point {
  double x = 0, y = 0;
};

struct Series {
  std::string name;   // legend text
  std::string color;  // a CSS colour
  std::string dash;   // stroke-dasharray; "" is solid
  std::vector<Point> points;  // ascending x
};

enum class MarkerKind { action, rollback };

struct Marker {
  double x = 0;
  std::string label;    // drawn next to the line (shortened when long)
  std::string tooltip;  // the full story, in <title>
  MarkerKind kind = MarkerKind::action;
  bool failed = false;
};

struct EventTick {
  double x = 0;
  std::string kind;  // exit, ready, ... picks the colour
  std::string tooltip;
};

// What a chart's data spans. Charts drawn with a merged extent share their axes, so
// side-by-side charts compare at a glance.
struct Extent {
  double x_min = 0, x_max = 0;
  double y_max = 0;                                                // highest value, or stack
  double y_min_positive = std::numeric_limits<double>::infinity();  // smallest value > 0
};

struct Chart {
  std::string id;       // unique in the document (element ids derive from it)
  std::string title;    // the SVG's accessible <title>
  std::string y_label;  // with its unit: "requests/s"
  std::string x_label = "time since load start (s)";
  std::vector<Series> series;
  bool stacked = false;         // series share x values index by index
  bool integer_values = false;  // counts: no ticks between integers
  bool allow_log = false;       // log scale when the data spans two decades or more
  std::vector<Marker> markers;
  std::vector<EventTick> ticks;
  std::string empty_note = "no samples";  // shown when no series has a finite point
  bool compact = false;                   // smaller, for three charts side by side
  std::optional<Extent> shared_extent;    // axes span this instead of the chart's own data
};

Extent extent_of(const Chart& chart);
Extent merge(const Extent& a, const Extent& b);

// The chart as one <svg> element.
std::string render(const Chart& chart);

// Axis ticks from 0 to the first round value >= `max` (1, 2, 2.5 or 5 times a power
// of ten apart, about `target` of them; whole numbers only when `integer`).
std::vector<double> linear_ticks(double max, int target, bool integer);
// Powers of ten from below `lo` to above `hi` (lo > 0), with 2 and 5 between them
// when the axis spans two decades or less.
std::vector<double> log_ticks(double lo, double hi);
// A tick's label with as few decimals as `step` needs and a unit chosen from `step`
// alone (so one axis uses one unit): tick_label(2500, 2500) is "2.5k",
// tick_label(5000, 2500) is "5k", tick_label(0.25, 0.05) is "0.25".
std::string tick_label(double value, double step);

}  // namespace scalelab::report::svg
