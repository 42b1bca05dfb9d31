// Drawing for svg_chart.hpp. Coordinates are in a fixed viewBox (the SVG scales to its
// container); text widths are estimated from character counts because there is no
// font metrics engine here, so labels leave generous room.
#include "lab/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lab/report/html_text.hpp"

namespace scalelab::report::svg {
namespace {

constexpr double kMarginRight = 18;
constexpr double kLegendRowHeight = 17, kLabelRowHeight = 13;
constexpr int kMaxLabelRows = 3;
constexpr std::size_t kMaxLabelChars = 26;

// Estimated width of `text` at `font_px` (average glyph of a sans-serif font).
double text_width(const std::string& text, double font_px) {
  return static_cast<double>(html::char_count(text)) * font_px * 0.6;
}

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

bool finite_point(const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

// Stack tops: stacked[i][k] is the sum of series 0..i at index k (gaps count as 0).
std::vector<std::vector<double>> stack_tops(const std::vector<Series>& series) {
  std::vector<std::vector<double>> tops;
  for (const Series& s : series) {
    std::vector<double> row(s.points.size());
    for (std::size_t k = 0; k < s.points.size(); ++k) {
      const double below = tops.empty() || k >= tops.back().size() ? 0 : tops.back()[k];
      const double v = std::isfinite(s.points[k].y) ? std::max(0.0, s.points[k].y) : 0;
      row[k] = below + v;
    }
    tops.push_back(std::move(row));
  }
  return tops;
}

// The mapping from data to viewBox coordinates, and the ticks that go with it.
struct Axes {
  double left = 0, right = 0, top = 0, bottom = 0;
  double x_min = 0, x_max = 1;
  bool log = false;
  double y_lo = 0, y_hi = 1;  // for log: the decades' bounds (> 0)
  std::vector<double> x_ticks, y_ticks;

  double x(double v) const {
    const double t = x_max > x_min ? (v - x_min) / (x_max - x_min) : 0;
    return left + std::clamp(t, 0.0, 1.0) * (right - left);
  }
  double y(double v) const {
    double t = 0;
    if (log) {
      t = v <= y_lo ? 0 : (std::log10(v) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo));
    } else {
      t = y_hi > y_lo ? (v - y_lo) / (y_hi - y_lo) : 0;
    }
    if (!std::isfinite(t)) t = v > 0 ? 1 : 0;
    return bottom - std::clamp(t, 0.0, 1.0) * (bottom - top);
  }
  std::string y_tick_label(double tick) const {
    const double step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
    return tick_label(tick, log ? tick : step);
  }
};

Axes make_axes(const Chart& chart, const Extent& extent) {
  Axes axes;
  axes.x_min = extent.x_min;
  axes.x_max = extent.x_max > extent.x_min ? extent.x_max : extent.x_min + 1;
  const auto spacing = linear_ticks(axes.x_max - axes.x_min, chart.compact ? 5 : 10, true);
  const double x_step = spacing[1] - spacing[0];
  for (double t = std::ceil(axes.x_min / x_step) * x_step; t <= axes.x_max + 1e-9 && axes.x_ticks.size() < 200;
       t += x_step)
    axes.x_ticks.push_back(t);
  axes.log = chart.allow_log && std::isfinite(extent.y_min_positive) && extent.y_max >= 100 * extent.y_min_positive;
  if (axes.log) {
    axes.y_ticks = log_ticks(extent.y_min_positive, extent.y_max);
    axes.y_lo = axes.y_ticks.front();
    axes.y_hi = axes.y_ticks.back();
  } else {
    axes.y_ticks = linear_ticks(extent.y_max, chart.compact ? 4 : 5, chart.integer_values);
    axes.y_lo = 0;
    axes.y_hi = axes.y_ticks.back();
  }
  return axes;
}

struct Legend {
  struct Item {
    double x, y;
    const Series* series;
  };
  std::vector<Item> items;
  int rows = 0;
};

// Always at least one row, so that charts side by side have their plots level whether
// or not they have series.
Legend layout_legend(const std::vector<Series>& series, double left, double right, double font_px) {
  Legend legend;
  legend.rows = 1;
  double x = left;
  for (const Series& s : series) {
    const double width = 22 + text_width(html::truncate(s.name, 40), font_px) + 14;
    if (x > left && x + width > right) {
      x = left;
      ++legend.rows;
    }
    legend.items.push_back({x, 4 + (legend.rows - 1) * kLegendRowHeight + kLegendRowHeight / 2, &s});
    x += width;
  }
  return legend;
}

struct PlacedLabel {
  const Marker* marker;
  std::string text;
  int row;
  bool anchor_end;
};

// Puts each marker's label in the first row where it does not overlap the previous
// label, so actions a second apart stay readable.
std::vector<PlacedLabel> layout_labels(const Chart& chart, const Axes& axes, double font_px, int& rows_used) {
  std::vector<const Marker*> markers;
  for (const Marker& m : chart.markers) {
    if (std::isfinite(m.x)) markers.push_back(&m);
  }
  std::stable_sort(markers.begin(), markers.end(), [](const Marker* a, const Marker* b) { return a->x < b->x; });
  std::vector<double> row_end(kMaxLabelRows, -1e9);
  std::vector<PlacedLabel> placed;
  rows_used = 0;
  for (const Marker* m : markers) {
    const std::string text = html::truncate(m->label, chart.compact ? kMaxLabelChars / 2 + 4 : kMaxLabelChars);
    const double px = axes.x(m->x), width = text_width(text, font_px);
    const bool anchor_end = px + 3 + width > axes.right + kMarginRight;
    const double start = anchor_end ? px - 3 - width : px + 3, end = anchor_end ? px - 3 : px + 3 + width;
    int row = 0;
    while (row < kMaxLabelRows && start < row_end[row] + 6) ++row;
    if (row == kMaxLabelRows) row = static_cast<int>(std::min_element(row_end.begin(), row_end.end()) - row_end.begin());
    row_end[row] = std::max(row_end[row], end);
    rows_used = std::max(rows_used, row + 1);
    placed.push_back({m, text, row, anchor_end});
  }
  return placed;
}

std::string event_colour(const std::string& kind) {
  if (kind == "exit" || kind == "kill") return "#D55E00";
  if (kind == "ready" || kind == "spawn" || kind == "added") return "#009E73";
  if (kind == "unready" || kind == "removed" || kind == "pause") return "#E69F00";
  return "#555555";
}

void draw_grid_and_axes(std::string& out, const Chart& chart, const Axes& axes, double font_px) {
  out += "<g class=\"axes\" font-size=\"" + num(font_px) + "\" fill=\"#444\">";
  for (double t : axes.y_ticks) {
    const double y = axes.y(t);
    out += "<line x1=\"" + num(axes.left) + "\" x2=\"" + num(axes.right) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) +
           "\" stroke=\"#e2e2e2\"/>";
    out += "<text x=\"" + num(axes.left - 6) + "\" y=\"" + num(y + font_px * 0.35) + "\" text-anchor=\"end\">" +
           html::escape(axes.y_tick_label(t)) + "</text>";
  }
  const double x_step = axes.x_ticks.size() > 1 ? axes.x_ticks[1] - axes.x_ticks[0] : 1;
  for (double t : axes.x_ticks) {
    const double x = axes.x(t);
    out += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(axes.bottom) + "\" y2=\"" +
           num(axes.bottom + 4) + "\" stroke=\"#888\"/>";
    out += "<text x=\"" + num(x) + "\" y=\"" + num(axes.bottom + 6 + font_px) + "\" text-anchor=\"middle\">" +
           html::escape(tick_label(t, x_step)) + "</text>";
  }
  out += "<line x1=\"" + num(axes.left) + "\" x2=\"" + num(axes.right) + "\" y1=\"" + num(axes.bottom) + "\" y2=\"" +
         num(axes.bottom) + "\" stroke=\"#888\"/>";
  out += "<line x1=\"" + num(axes.left) + "\" x2=\"" + num(axes.left) + "\" y1=\"" + num(axes.top) + "\" y2=\"" +
         num(axes.bottom) + "\" stroke=\"#888\"/>";
  const std::string y_label = chart.y_label + (axes.log ? ", log scale" : "");
  const double mid_y = (axes.top + axes.bottom) / 2;
  out += "<text class=\"axis-label\" transform=\"translate(14 " + num(mid_y) + ") rotate(-90)\" text-anchor=\"middle\">" +
         html::escape(y_label) + "</text>";
  out += "<text class=\"axis-label\" x=\"" + num((axes.left + axes.right) / 2) + "\" y=\"" +
         num(axes.bottom + 12 + 2 * font_px) + "\" text-anchor=\"middle\">" + html::escape(chart.x_label) + "</text>";
  out += "</g>";
}

void draw_dot(std::string& out, const Axes& axes, const Point& p, const std::string& colour) {
  out += "<circle cx=\"" + num(axes.x(p.x)) + "\" cy=\"" + num(axes.y(p.y)) + "\" r=\"2.6\" fill=\"" + colour + "\"/>";
}

void draw_lines(std::string& out, const Chart& chart, const Axes& axes) {
  const double stroke = chart.compact ? 1.6 : 2;
  for (const Series& s : chart.series) {
    const std::string colour = html::escape(s.color);
    out += "<g class=\"series\"><title>" + html::escape(s.name) + "</title>";
    const auto finite = std::count_if(s.points.begin(), s.points.end(), finite_point);
    std::vector<Point> run;
    const auto flush = [&] {
      if (run.size() == 1 || (finite <= 2 && !run.empty())) {
        for (const Point& p : run) draw_dot(out, axes, p, colour);
      }
      if (run.size() >= 2) {
        out += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"" + num(stroke) +
               "\" stroke-linejoin=\"round\"";
        if (!s.dash.empty()) out += " stroke-dasharray=\"" + html::escape(s.dash) + "\"";
        out += " points=\"";
        for (const Point& p : run) out += num(axes.x(p.x)) + "," + num(axes.y(p.y)) + " ";
        out.back() = '"';
        out += "/>";
      }
      run.clear();
    };
    for (const Point& p : s.points) {
      if (finite_point(p))
        run.push_back(p);
      else
        flush();
    }
    flush();
    out += "</g>";
  }
}

void draw_stack(std::string& out, const Chart& chart, const Axes& axes) {
  const auto tops = stack_tops(chart.series);
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const std::string colour = html::escape(s.color);
    out += "<g class=\"series\"><title>" + html::escape(s.name) + "</title>";
    std::vector<std::size_t> usable;
    for (std::size_t k = 0; k < s.points.size(); ++k) {
      if (std::isfinite(s.points[k].x)) usable.push_back(k);
    }
    const auto below = [&](std::size_t k) { return i == 0 || k >= tops[i - 1].size() ? 0.0 : tops[i - 1][k]; };
    if (usable.size() == 1) {  // one second: a column instead of an area
      const std::size_t k = usable[0];
      const double x = axes.x(s.points[k].x), y_top = axes.y(tops[i][k]), y_bottom = axes.y(below(k));
      out += "<rect x=\"" + num(x - 5) + "\" y=\"" + num(y_top) + "\" width=\"10\" height=\"" +
             num(std::max(0.0, y_bottom - y_top)) + "\" fill=\"" + colour + "\"/>";
    } else if (usable.size() > 1) {
      out += "<polygon fill=\"" + colour + "\" fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.6\" points=\"";
      for (std::size_t k : usable) out += num(axes.x(s.points[k].x)) + "," + num(axes.y(tops[i][k])) + " ";
      for (auto it = usable.rbegin(); it != usable.rend(); ++it)
        out += num(axes.x(s.points[*it].x)) + "," + num(axes.y(below(*it))) + " ";
      out.back() = '"';
      out += "/>";
    }
    out += "</g>";
  }
}

void draw_event_ticks(std::string& out, const Chart& chart, const Axes& axes) {
  for (const EventTick& t : chart.ticks) {
    if (!std::isfinite(t.x) || t.x < axes.x_min || t.x > axes.x_max) continue;
    const double x = axes.x(t.x);
    out += "<g class=\"event-tick\"><title>" + html::escape(t.tooltip) + "</title><path d=\"M" + num(x) + " " +
           num(axes.bottom - 1) + " l-3.5 -7 h7 z\" fill=\"" + event_colour(t.kind) + "\" fill-opacity=\"0.8\"/></g>";
  }
}

void draw_markers(std::string& out, const std::vector<PlacedLabel>& labels, const Axes& axes, double font_px) {
  for (const PlacedLabel& l : labels) {
    const Marker& m = *l.marker;
    const bool rollback = m.kind == MarkerKind::rollback;
    const double x = axes.x(m.x);
    const double label_y = axes.top - 5 - l.row * kLabelRowHeight;  // the first row sits nearest the plot
    out += std::string("<g class=\"marker ") + (rollback ? "rollback" : "action") + (m.failed ? " failed" : "") +
           "\"><title>" + html::escape(m.tooltip) + "</title>";
    out += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(label_y + 3) + "\" y2=\"" +
           num(axes.bottom) + "\" stroke=\"#222\" stroke-width=\"1.2\"" +
           (rollback ? " stroke-dasharray=\"2 3\"" : " stroke-dasharray=\"6 3\"") + "/>";
    out += "<text x=\"" + num(l.anchor_end ? x - 3 : x + 3) + "\" y=\"" + num(label_y) + "\" font-size=\"" +
           num(font_px) + "\"" + (l.anchor_end ? " text-anchor=\"end\"" : "") + " fill=\"" +
           (m.failed ? "#B03A00" : "#222") + "\">" + html::escape(l.text) + "</text></g>";
  }
}

void draw_legend(std::string& out, const Chart& chart, const Legend& legend, double font_px) {
  if (legend.items.empty()) return;
  out += "<g class=\"legend\" font-size=\"" + num(font_px) + "\">";
  for (const auto& item : legend.items) {
    const Series& s = *item.series;
    const std::string colour = html::escape(s.color);
    if (chart.stacked) {
      out += "<rect x=\"" + num(item.x) + "\" y=\"" + num(item.y - 5) + "\" width=\"16\" height=\"10\" fill=\"" +
             colour + "\"/>";
    } else {
      out += "<line x1=\"" + num(item.x) + "\" x2=\"" + num(item.x + 16) + "\" y1=\"" + num(item.y) + "\" y2=\"" +
             num(item.y) + "\" stroke=\"" + colour + "\" stroke-width=\"2.5\"" +
             (s.dash.empty() ? "" : " stroke-dasharray=\"" + html::escape(s.dash) + "\"") + "/>";
    }
    out += "<text x=\"" + num(item.x + 22) + "\" y=\"" + num(item.y + font_px * 0.35) + "\">" +
           html::escape(html::truncate(s.name, 40)) + "</text>";
  }
  out += "</g>";
}

}  // namespace

Extent extent_of(const Chart& chart) {
  Extent e;
  bool any_x = false;
  const auto see_x = [&](double x) {
    if (!std::isfinite(x)) return;
    e.x_min = any_x ? std::min(e.x_min, x) : std::min(0.0, x);
    e.x_max = any_x ? std::max(e.x_max, x) : std::max(0.0, x);
    any_x = true;
  };
  const auto see_y = [&](double y) {
    if (!std::isfinite(y)) return;
    e.y_max = std::max(e.y_max, y);
    if (y > 0) e.y_min_positive = std::min(e.y_min_positive, y);
  };
  for (const Series& s : chart.series) {
    for (const Point& p : s.points) {
      see_x(p.x);
      if (!chart.stacked) see_y(p.y);
    }
  }
  if (chart.stacked) {
    for (const auto& row : stack_tops(chart.series)) {
      for (double v : row) see_y(v);
    }
  }
  for (const Marker& m : chart.markers) see_x(m.x);
  return e;
}

Extent merge(const Extent& a, const Extent& b) {
  return {std::min(a.x_min, b.x_min), std::max(a.x_max, b.x_max), std::max(a.y_max, b.y_max),
          std::min(a.y_min_positive, b.y_min_positive)};
}

std::vector<double> linear_ticks(double max, int target, bool integer) {
  if (!(max > 0) || !std::isfinite(max)) max = std::isfinite(max) && max > 0 ? max : 1;
  target = std::max(target, 1);
  const double raw = max / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double factor : {1.0, 2.0, 2.5, 5.0}) {
    if (integer && factor == 2.5 && magnitude < 10) continue;  // 2.5 is not a whole step
    if (raw <= factor * magnitude * (1 + 1e-9)) {
      step = factor * magnitude;
      break;
    }
  }
  if (integer) step = std::max(step, 1.0);
  const double count = std::ceil(max / step - 1e-9);
  const double top = count * step;
  if (!std::isfinite(top) || !std::isfinite(step) || count > 1000) return {0, max};
  std::vector<double> ticks;
  for (int i = 0; i <= static_cast<int>(count); ++i) ticks.push_back(i * step);
  if (ticks.size() < 2) ticks.push_back(step);
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1;
  if (!(hi > lo) || !std::isfinite(hi)) hi = lo * 10;
  int first = static_cast<int>(std::floor(std::log10(lo)));
  int last = static_cast<int>(std::ceil(std::log10(hi)));
  if (last <= first) last = first + 1;
  const bool fine = last - first <= 2;
  std::vector<double> ticks;
  for (int decade = first; decade <= last; ++decade) {
    const double base = std::pow(10.0, decade);
    ticks.push_back(base);
    if (fine && decade < last) {
      ticks.push_back(2 * base);
      ticks.push_back(5 * base);
    }
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  step = std::fabs(step) > 0 ? std::fabs(step) : std::fabs(value);
  char buffer[48];
  if (std::fabs(value) >= 1e15 || step >= 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
  }
  struct Unit {
    double size;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}};
  Unit unit = kUnits[4];
  for (const Unit& u : kUnits) {  // from the step alone, so one axis uses one unit
    if (step >= u.size) {
      unit = u;
      break;
    }
  }
  const double scaled_step = step / unit.size;
  int decimals = 0;
  for (double scale = 1; decimals < 6; ++decimals, scale *= 10) {
    if (std::fabs(scaled_step * scale - std::round(scaled_step * scale)) <= 1e-6 * scale) break;
  }
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value / unit.size);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {  // "5.0k" reads as "5k" next to "2.5k"
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text + unit.suffix;
}

std::string render(const Chart& chart) {
  const double width = chart.compact ? 420 : 760;
  const double plot_height = chart.compact ? 120 : 190;
  const double font_px = chart.compact ? 10 : 11;
  const Extent extent = chart.shared_extent.value_or(extent_of(chart));

  Axes axes = make_axes(chart, extent);
  // Room for the rotated axis label and the widest tick label ("8e+299" is wide).
  double widest_tick = 0;
  for (double t : axes.y_ticks) widest_tick = std::max(widest_tick, text_width(axes.y_tick_label(t), font_px));
  axes.left = std::max(54.0, 14 + font_px + 10 + widest_tick + 6);
  axes.right = width - kMarginRight;
  const Legend legend = layout_legend(chart.series, axes.left, axes.right, font_px);
  int label_rows = 0;
  const auto labels = layout_labels(chart, axes, font_px, label_rows);  // needs left/right only
  axes.top = 6 + legend.rows * kLegendRowHeight + label_rows * kLabelRowHeight + (label_rows > 0 ? 6 : 0);
  axes.bottom = axes.top + plot_height;
  const double height = axes.bottom + 16 + 2 * font_px + 8;

  const std::string title_id = html::escape(chart.id) + "-title";
  std::string out;
  out.reserve(8192);
  out += "<svg class=\"chart\" id=\"" + html::escape(chart.id) + "\" viewBox=\"0 0 " + num(width) + " " +
         num(height) + "\" width=\"100%\" role=\"img\" aria-labelledby=\"" + title_id +
         "\" font-family=\"system-ui, sans-serif\">";
  out += "<title id=\"" + title_id + "\">" + html::escape(chart.title) + "</title>";
  draw_grid_and_axes(out, chart, axes, font_px);
  if (chart.stacked)
    draw_stack(out, chart, axes);
  else
    draw_lines(out, chart, axes);
  const bool any_point = std::any_of(chart.series.begin(), chart.series.end(), [](const Series& s) {
    return std::any_of(s.points.begin(), s.points.end(), finite_point);
  });
  if (!any_point && !chart.empty_note.empty()) {
    out += "<text class=\"empty-note\" x=\"" + num((axes.left + axes.right) / 2) + "\" y=\"" +
           num((axes.top + axes.bottom) / 2) + "\" text-anchor=\"middle\" font-size=\"" + num(font_px + 2) +
           "\" fill=\"#666\">" + html::escape(chart.empty_note) + "</text>";
  }
  draw_event_ticks(out, chart, axes);
  draw_markers(out, labels, axes, font_px);
  draw_legend(out, chart, legend, font_px);
  out += "</svg>";
  return out;
}

}  // namespace scalelab::report::svg
