// The two documents of report.hpp, assembled from report_sections (HTML parts) and
// report_charts (SVG charts) inside report_page's shell.
#include "lab/report/report.hpp"

#include <algorithm>
#include <set>

#include "lab/journal/journal_json.hpp"
#include "lab/journal/scaling.hpp"
#include "lab/report/html_text.hpp"
#include "lab/report/report_charts.hpp"
#include "lab/report/report_page.hpp"
#include "lab/report/report_sections.hpp"
#include "lab/report/report_sweep.hpp"

namespace scalelab::report {
namespace {

using journal::Demo;
using journal::Journal;
using journal::Totals;

std::string esc(const std::string& text) { return html::escape(text); }

std::string run_name(const Journal& run, std::size_t index) {
  return run.label.empty() ? "run " + std::to_string(index + 1) : run.label;
}

std::string number_cell(const std::string& value, const std::string& note, bool bad) {
  return std::string(bad ? "<td class=\"num bad\">" : "<td class=\"num\">") + esc(value) +
         (note.empty() ? "" : "<span class=\"rate\">" + esc(note) + "</span>") + "</td>";
}

// The autoscaling lesson's rows (journal/scaling.hpp): what the count did and cost, and
// how long requests waited for a start.
template <class Row>
void scaling_rows(const Demo& demo, const Row& row) {
  std::vector<std::vector<journal::CountStep>> steps;
  for (const Journal& run : demo.runs) steps.push_back(journal::instance_count_steps(run));
  const auto load_s = [&](std::size_t i) { return demo.runs[i].series.empty() ? 0.0 : demo.runs[i].series.back().elapsed_s; };
  row("Instances (least to most)", [&](std::size_t i) {
    if (steps[i].empty()) return number_cell("?", "", false);
    const auto [least, most] = std::minmax_element(steps[i].begin(), steps[i].end(),
                                                   [](const auto& a, const auto& b) { return a.count < b.count; });
    return number_cell(std::to_string(least->count) + " to " + std::to_string(most->count), "", false);
  });
  row("Count changes", [&](std::size_t i) {
    return number_cell(std::to_string(steps[i].empty() ? 0 : steps[i].size() - 1), "", false);
  });
  row("Direction changes (flapping)", [&](std::size_t i) {
    const int flaps = journal::direction_changes(steps[i]);
    return number_cell(std::to_string(flaps), "", flaps > 2);
  });
  row("Instance-seconds", [&](std::size_t i) {
    return number_cell(html::number(journal::instance_seconds(steps[i], load_s(i)), 1), "", false);
  });
  row("Requests that waited for a start", [&](std::size_t i) {
    const auto& t = demo.runs[i].load ? demo.runs[i].load->totals : std::nullopt;
    const auto& cold = t ? t->cold_start : std::nullopt;
    const double n = cold && cold->count ? *cold->count : 0;
    return number_cell(html::number(n, 0), n > 0 ? "p50 " + html::number(cold->p50, 0) + " ms, p99 " +
                                                       html::number(cold->p99, 0) + " ms"
                                                 : "",
                       false);
  });
}

std::string summary_table(const Demo& demo) {
  std::vector<Totals> totals;
  for (const Journal& run : demo.runs) totals.push_back(run.totals());
  std::string out = "<table class=\"data summary\"><thead><tr><th scope=\"col\">Mode</th>";
  for (std::size_t i = 0; i < demo.runs.size(); ++i)
    out += "<th scope=\"col\">" + esc(run_name(demo.runs[i], i)) + " " + sections::verdict_badge(demo.runs[i]) + "</th>";
  out += "</tr></thead><tbody>";
  const auto row = [&](const std::string& label, const auto& cell_of) {
    out += "<tr><th scope=\"row\">" + esc(label) + "</th>";
    for (std::size_t i = 0; i < demo.runs.size(); ++i) out += cell_of(i);
    out += "</tr>";
  };
  row("Requests", [&](std::size_t i) { return number_cell(html::number(totals[i].requests, 0), "", false); });
  row("Failed requests", [&](std::size_t i) {
    const Totals& t = totals[i];
    return number_cell(html::number(t.errors, 0), t.requests > 0 ? html::percent(t.errors / t.requests) : "",
                       t.errors > 0);
  });
  row("Mean throughput (requests/s)",
      [&](std::size_t i) { return number_cell(html::number(totals[i].mean_rps(), 1), "", false); });
  row("Worst p99 (ms)",
      [&](std::size_t i) { return number_cell(html::number(totals[i].worst_p99_ms, 2), "", false); });
  if (std::any_of(demo.runs.begin(), demo.runs.end(), shows_instance_count)) scaling_rows(demo, row);
  // A lesson whose load checks no state (the autoscaling one) has no violation to show.
  const bool checked = std::any_of(totals.begin(), totals.end(), [](const Totals& t) {
    return !t.violations.empty() || std::any_of(t.checks.begin(), t.checks.end(), [](const auto& c) { return c.second > 0; });
  });
  for (const std::string& kind : checked ? journal::judged_violation_kinds(totals) : std::vector<std::string>{}) {
    row(kind, [&](std::size_t i) {
      const double n = journal::count_of(totals[i].violations, kind);
      return number_cell(html::number(n, 0), n > 0 ? sections::rate_of_checks(totals[i], kind) : "", n > 0);
    });
  }
  row("Verdict", [&](std::size_t i) {
    const journal::Verdict& v = demo.runs[i].verdict;
    return "<td>" + esc(v.status) + (v.summary.empty() ? "" : ": " + esc(v.summary)) +
           (v.error.empty() ? "" : " (" + esc(v.error) + ")") + "</td>";
  });
  return out + "</tbody></table>";
}

std::string conclusions(const Demo& demo) {
  if (demo.conclusions.empty()) return "";
  std::string items;
  std::set<std::string> shown;
  const auto item = [&](const std::string& label) {
    const auto it = demo.conclusions.find(label);
    if (it == demo.conclusions.end() || !shown.insert(label).second) return;
    items += "<li><strong>" + esc(label) + "</strong>: " + esc(it->second) + "</li>";
  };
  for (const Journal& run : demo.runs) item(run.label);
  for (const auto& [label, line] : demo.conclusions) item(label);
  return "<h2 id=\"conclusions\">Conclusions</h2><ul class=\"conclusions\">" + items + "</ul>";
}

std::string demo_intro(const Demo& demo) {
  std::string out = "<dl class=\"facts\">";
  const auto fact = [&](const std::string& label, const std::string& value) {
    if (!value.empty()) out += "<div><dt>" + esc(label) + "</dt><dd>" + esc(value) + "</dd></div>";
  };
  fact("Started", demo.started_at);
  fact("Duration", demo.duration_s ? html::seconds(*demo.duration_s, 1) : "");
  fact("Runs", std::to_string(demo.runs.size()));
  fact("Lesson", demo.topic);
  out += "</dl>";
  out += "<p class=\"description\">" +
         esc(demo.description.empty() ? "The same cluster, the same load and the same chaos, once per state mode. "
                                        "What differs between the columns is only where the instances keep their state."
                                      : demo.description) +
         "</p>";
  return out;
}

std::string run_details(const Journal& run, std::size_t index) {
  const std::string name = run_name(run, index);
  std::string out = "<section id=\"run-" + std::to_string(index + 1) + "\"><h3 class=\"run-heading\">" + esc(name) +
                    ": " + esc(run.experiment.title) + " " + sections::verdict_badge(run) + "</h3>";
  out += sections::overview(run) + sections::verdict(run) + sections::key_numbers(run);
  if (const std::string ceiling = sections::ceiling_table(run); !ceiling.empty())
    out += "<h4>Throughput against its ceiling</h4>" + ceiling;
  out += "<h4>Steady-state hypothesis</h4>" + sections::hypothesis_table(run);
  out += "<h4>Action timeline</h4>" + sections::actions_table(run);
  if (!run.failures().empty())
    out += "<details><summary>Failed requests (" + std::to_string(run.failures().size()) + ")</summary>" +
           sections::failures_table(run) + "</details>";
  if (!run.violations().empty())
    out += "<details><summary>First violations (" + std::to_string(run.violations().size()) + ")</summary>" +
           sections::violations_table(run) + "</details>";
  out += "<details><summary>Lab events (" + std::to_string(run.events.size()) + ")</summary>" +
         sections::events_table(run) + "</details>";
  out += "<details><summary>Settings</summary>" + sections::settings(run) + "</details>";
  return out + "</section>";
}

}  // namespace

std::string render_report(const Journal& run) {
  const std::string& title = run.experiment.title;
  std::string body;
  body += "<header><h1>" + esc(title) + "</h1>" + sections::overview(run) + "</header>";
  body += sections::verdict(run);
  body += sections::settings(run);
  body += "<h2 id=\"numbers\">Key numbers</h2>" + sections::key_numbers(run);
  if (const std::string ceiling = sections::ceiling_table(run); !ceiling.empty())
    body += "<h2 id=\"ceiling\">Throughput against its ceiling</h2>" + ceiling;
  body += "<h2 id=\"hypothesis\">Steady-state hypothesis</h2>" + sections::hypothesis_table(run);
  body += "<h2 id=\"charts\">Over time</h2>" + sections::chart_key();
  const ChartSet set{shows_instance_count(run), shows_database(run)};
  const auto charts = charts_for(run, "chart-", false, set);
  const auto headings = chart_headings(set);
  for (std::size_t i = 0; i < charts.size(); ++i) body += sections::figure(charts[i], headings[i]);
  body += "<h2 id=\"actions\">Action timeline</h2>" + sections::actions_table(run);
  body += "<h2 id=\"failures\">Failed requests</h2>" + sections::failures_table(run);
  body += "<h2 id=\"violations\">First violations</h2>" + sections::violations_table(run);
  body += "<h2 id=\"events\">Lab events</h2>" + sections::events_table(run);
  return html_page(title + " \xE2\x80\x94 scalelab experiment", body);
}

std::string render_demo_report(const Demo& demo) {
  std::string body = "<header><h1>scalelab demo: ";
  for (std::size_t i = 0; i < demo.runs.size(); ++i) body += (i == 0 ? "" : " vs ") + esc(run_name(demo.runs[i], i));
  if (demo.runs.empty()) body += "no runs";
  body += "</h1>" + demo_intro(demo) + "</header>";

  body += "<h2 id=\"summary\">Side by side</h2>";
  body += demo.runs.empty() ? "<p class=\"na\">The demo recorded no runs.</p>" : summary_table(demo);
  body += conclusions(demo);
  if (const auto sweep = sweep_charts(demo); !sweep.empty()) {
    body += "<h2 id=\"sweep\">Against the users</h2><div class=\"charts-grid\">";
    for (const auto& [heading, chart] : sweep) body += sections::figure(chart, heading);
    body += "</div>";
  }

  if (!demo.runs.empty()) {
    const ChartSet set = ChartSet::for_runs(demo.runs);
    std::vector<std::vector<svg::Chart>> charts;
    for (std::size_t i = 0; i < demo.runs.size(); ++i)
      charts.push_back(charts_for(demo.runs[i], "run" + std::to_string(i + 1) + "-", true, set));
    share_axes(charts);
    body += "<h2 id=\"charts\">Over time</h2>" + sections::chart_key();
    const auto headings = chart_headings(set);
    for (std::size_t c = 0; c < headings.size(); ++c) {
      body += "<h3>" + esc(headings[c]) + "</h3><div class=\"charts-grid\">";
      for (std::size_t i = 0; i < demo.runs.size(); ++i) body += sections::figure(charts[i][c], run_name(demo.runs[i], i));
      body += "</div>";
    }
    body += "<h2 id=\"runs\">Each run</h2>";
    for (std::size_t i = 0; i < demo.runs.size(); ++i) body += run_details(demo.runs[i], i);
  }
  return html_page("scalelab demo report", body);
}

std::string render_report(const nlohmann::json& journal) { return render_report(journal::parse_journal(journal)); }

std::string render_demo_report(const nlohmann::json& demo) { return render_demo_report(journal::parse_demo(demo)); }

}  // namespace scalelab::report
