// HTML fragments of a run (report_sections.hpp). Values are formatted by what they
// measure (a ratio as a percentage, a latency in ms), so a reader never has to know
// the journal's units.
#include "lab/report/report_sections.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <type_traits>
#include <variant>

#include "lab/report/html_text.hpp"

namespace scalelab::report::sections {
namespace {

using journal::Action;
using journal::FailedRequest;
using journal::Journal;
using journal::LabEvent;
using journal::ProbeResult;
using journal::Totals;
using nlohmann::json;

const std::string kDash = "\xE2\x80\x94";  // shown for absent values

std::string esc(const std::string& text) { return html::escape(text); }

std::string cell(const std::string& escaped_html, const std::string& css_class = "") {
  return (css_class.empty() ? "<td>" : "<td class=\"" + css_class + "\">") + escaped_html + "</td>";
}

// Any settings value as short text: objects as "key=value, ...".
std::string describe(const json& value) {
  if (value.is_null()) return kDash;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number()) return html::number(value.get<double>(), 3);
  std::string text;
  if (value.is_object()) {
    if (value.empty()) return "none";
    for (const auto& [key, item] : value.items()) text += (text.empty() ? "" : ", ") + key + "=" + describe(item);
  } else {
    for (const auto& item : value) text += (text.empty() ? "" : ", ") + describe(item);
  }
  return text;
}

// The state toggle reads best as one word when every concern agrees.
std::string describe_state(const json& state) {
  if (!state.is_object() || state.empty()) return describe(state);
  const json& first = state.begin().value();
  const bool uniform = std::all_of(state.begin(), state.end(), [&](const json& v) { return v == first; });
  return uniform ? describe(first) + " (every concern)" : describe(state);
}

struct SettingLabel {
  const char* key;
  const char* label;
  const char* unit;
};

// Known keys first, in a reader's order, with their units; then any other key as is.
std::string settings_rows(const json& object, const std::vector<SettingLabel>& known) {
  std::string rows;
  const auto row = [&](const std::string& label, const std::string& text) {
    rows += "<tr><th scope=\"row\">" + esc(label) + "</th><td>" + esc(text) + "</td></tr>";
  };
  for (const SettingLabel& s : known) {
    const auto it = object.find(s.key);
    if (it == object.end()) continue;
    const std::string key = s.key;
    std::string text = key == "state" ? describe_state(*it) : describe(*it);
    if (key == "rate" && it->is_number() && it->get<double>() == 0) text = "closed loop";
    else if (it->is_number()) text += s.unit;
    row(s.label, text);
  }
  for (const auto& [key, value] : object.items()) {
    const bool is_known = std::any_of(known.begin(), known.end(), [&](const SettingLabel& s) { return key == s.key; });
    if (!is_known) row(key, describe(value));
  }
  return rows;
}

bool is_ratio(const ProbeResult& p) {
  return p.type == "error_rate" || (p.type == "violations" && p.rate.value_or(false));
}

// A probe's value or threshold in the probe's unit.
std::string quantity(const ProbeResult& p, double x) {
  if (is_ratio(p)) return html::percent(x);
  if (p.type == "latency") return html::number(x, 2) + " ms";
  if (p.type == "throughput") return html::number(x, 1) + " req/s";
  return html::number(x, 3);
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string value_text(const ProbeResult& p) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return kDash;
        else if constexpr (std::is_same_v<T, bool>) return yes_no(v);
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else return quantity(p, static_cast<double>(v));
      },
      p.value);
}

std::string tolerance_text(const ProbeResult& p) {
  const journal::Tolerance& t = p.tolerance;
  if (t.empty()) return kDash;
  std::string text;
  const auto part = [&](const char* symbol, const std::string& value) {
    text += (text.empty() ? "" : " and ") + std::string(symbol) + " " + value;
  };
  if (t.min) part("\xE2\x89\xA5", quantity(p, *t.min));  // ≥
  if (t.max) part("\xE2\x89\xA4", quantity(p, *t.max));  // ≤
  if (t.equals) part("=", yes_no(*t.equals));
  return text;
}

std::string measures(const ProbeResult& p) {
  const std::string kind = p.kind.value_or("");
  std::string text = p.type.empty() ? "probe" : p.type;
  if (p.type == "violations") text += ": " + (kind.empty() ? std::string("any") : kind);
  else if (!kind.empty()) text += ": " + kind;
  if (p.percentile) text += " p" + html::number(*p.percentile, 1);
  if (p.rate.value_or(false)) text += " (rate of checks)";
  return text;
}

std::string window_text(const std::string& window) {
  if (window == "before") return "before the method";
  if (window == "whole") return "whole run";
  if (window == "after_method") return "after the method";
  return window.empty() ? kDash : window;
}

std::string result_cell(const std::optional<bool>& met) {
  if (!met) return cell("not run", "na");
  return *met ? cell("PASS", "pass") : cell("FAIL", "fail");
}

std::string check_rows(const char* phase, const std::optional<journal::HypothesisCheck>& check, const Journal& run) {
  std::string rows = "<tr class=\"phase\"><th colspan=\"7\" scope=\"rowgroup\">" + std::string(phase) + ": ";
  if (!check) {
    rows += run.verdict.status == "aborted" ? "not checked (the run aborted)" : "not checked";
    return rows + "</th></tr>";
  }
  rows += !check->met ? "no result" : (*check->met ? "hypothesis met" : "hypothesis NOT met");
  rows += "</th></tr>";
  if (check->probes.empty()) rows += "<tr><td colspan=\"7\" class=\"na\">no probes</td></tr>";
  for (const ProbeResult& p : check->probes) {
    rows += "<tr>" + cell(esc(p.name.empty() ? kDash : p.name)) + cell(esc(measures(p))) +
            cell(esc(window_text(p.window))) + cell(esc(tolerance_text(p)), "num") +
            cell(esc(value_text(p)), "num") + cell(esc(p.detail), "detail") + result_cell(p.met) + "</tr>";
  }
  return rows;
}

std::string time_cell(const std::optional<double>& t) { return cell(t ? esc(html::seconds(*t)) : kDash, "num"); }

std::string action_rows(const std::vector<Action>& actions) {
  std::string rows;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const Action& a = actions[i];
    const std::string took =
        a.started_s && a.ended_s ? html::number((*a.ended_s - *a.started_s) * 1000.0, 1) + " ms" : kDash;
    const std::string status_class = a.status == "succeeded" ? "pass" : a.status == "failed" ? "fail" : "na";
    rows += "<tr>" + cell(std::to_string(i + 1), "num") + cell(esc(a.label(i))) + cell(esc(a.type.empty() ? kDash : a.type)) +
            cell(esc(a.args.empty() ? kDash : describe(a.args))) + time_cell(a.at_s) + time_cell(a.started_s) +
            cell(esc(took), "num") + cell(esc(a.status.empty() ? kDash : a.status), status_class) +
            cell(esc(a.detail), "detail") + "</tr>";
  }
  return rows;
}

std::string action_table(const std::vector<Action>& actions) {
  return "<table class=\"data\"><thead><tr><th>#</th><th>Action</th><th>Type</th><th>Arguments</th>"
         "<th>Planned at</th><th>Started</th><th>Took</th><th>Status</th><th>Detail</th></tr></thead><tbody>" +
         action_rows(actions) + "</tbody></table>";
}

std::string tile(const std::string& label, const std::string& value, const std::string& note = "",
                 const std::string& css_class = "") {
  return "<div class=\"tile" + (css_class.empty() ? "" : " " + css_class) + "\"><div class=\"tile-label\">" +
         esc(label) + "</div><div class=\"tile-value\">" + esc(value) + "</div>" +
         (note.empty() ? "" : "<div class=\"tile-note\">" + esc(note) + "</div>") + "</div>";
}

}  // namespace

std::string verdict_badge(const Journal& run) {
  const std::string& status = run.verdict.status;
  if (status == "completed") return "<span class=\"badge held\">\xE2\x9C\x94 HELD</span>";
  if (status == "deviated") return "<span class=\"badge deviated\">\xE2\x9C\x98 DEVIATED</span>";
  return "<span class=\"badge aborted\">\xE2\x96\xA0 ABORTED</span>";
}

std::string verdict(const Journal& run) {
  const journal::Verdict& v = run.verdict;
  std::string sentence;
  if (v.status == "completed") sentence = "Completed: the steady-state hypothesis held.";
  else if (v.status == "deviated") sentence = "Deviated: the steady-state hypothesis did not hold.";
  else sentence = "Aborted: the experiment did not run to the end.";
  std::string out = "<div class=\"verdict " + std::string(v.status == "completed" ? "held" : v.status) + "\">" +
                    verdict_badge(run) + "<div><p class=\"verdict-sentence\">" + esc(sentence) + "</p>";
  if (!v.summary.empty()) out += "<p class=\"verdict-summary\">" + esc(v.summary) + "</p>";
  if (!v.error.empty()) out += "<p class=\"verdict-error\">Error: " + esc(v.error) + "</p>";
  return out + "</div></div>";
}

std::string overview(const Journal& run) {
  const journal::ExperimentInfo& x = run.experiment;
  std::string out;
  if (!x.description.empty()) out += "<p class=\"description\">" + esc(x.description) + "</p>";
  if (!x.tags.empty()) {
    out += "<ul class=\"tags\">";
    for (const std::string& tag : x.tags) out += "<li>" + esc(tag) + "</li>";
    out += "</ul>";
  }
  out += "<dl class=\"facts\">";
  const auto fact = [&](const std::string& label, const std::string& value) {
    if (!value.empty()) out += "<div><dt>" + esc(label) + "</dt><dd>" + esc(value) + "</dd></div>";
  };
  fact("Run", run.label);
  fact("Started", run.started_at);
  fact("Ended", run.ended_at);
  fact("Duration", run.duration_s ? html::seconds(*run.duration_s, 1) : "");
  fact("Experiment file", x.file);
  return out + "</dl>";
}

std::string settings(const Journal& run) {
  static const std::vector<SettingLabel> kCluster = {
      {"instances", "Instances", ""},          {"state", "State", ""},
      {"balancer", "Balancer", ""},            {"restart", "Restart policy", ""},
      {"restart_delay_ms", "Restart delay", " ms"}, {"app_env", "App environment", ""},
      {"balancer_env", "Balancer environment", ""}};
  static const std::vector<SettingLabel> kLoad = {
      {"users", "Virtual users", ""}, {"rate", "Open-loop rate", " requests/s"}, {"threads", "Threads", ""},
      {"duration_s", "Duration", " s"}, {"mix", "Scenario mix", ""}};
  std::string lab_rows;
  if (!run.lab.dir.empty()) lab_rows += "<tr><th scope=\"row\">Lab folder</th><td>" + esc(run.lab.dir) + "</td></tr>";
  if (run.lab.base_port)
    lab_rows += "<tr><th scope=\"row\">Base port</th><td>" + esc(html::number(*run.lab.base_port, 0, false)) + "</td></tr>";
  const std::string cluster_rows = settings_rows(run.experiment.cluster, kCluster) + lab_rows;
  const std::string load_rows = settings_rows(run.experiment.load, kLoad);
  return "<div class=\"settings\"><table class=\"kv\"><caption>Cluster</caption><tbody>" +
         (cluster_rows.empty() ? "<tr><td>not recorded</td></tr>" : cluster_rows) +
         "</tbody></table><table class=\"kv\"><caption>Load</caption><tbody>" +
         (load_rows.empty() ? "<tr><td>not recorded</td></tr>" : load_rows) + "</tbody></table></div>";
}

std::string key_numbers(const Journal& run) {
  const Totals totals = run.totals();
  std::string out = "<div class=\"tiles\">";
  out += tile("Requests", html::number(totals.requests, 0));
  out += tile("Failed requests", html::number(totals.errors, 0),
              totals.requests > 0 ? html::percent(totals.errors / totals.requests) + " of requests" : "",
              totals.errors > 0 ? "bad" : "");
  out += tile("Mean throughput", totals.load_seconds > 0 ? html::number(totals.mean_rps(), 1) : kDash, "requests/s");
  out += tile("Worst p99", run.series.empty() ? kDash : html::number(totals.worst_p99_ms, 2), "ms, highest second");
  std::set<std::string> occurred;
  for (const auto& [kind, n] : totals.violations) {
    if (n > 0) occurred.insert(kind);
  }
  for (const std::string& kind : journal::in_reading_order(occurred)) {
    const double n = totals.violations.at(kind);
    const std::string rate = rate_of_checks(totals, kind);
    out += tile(kind, html::number(n, 0), rate.empty() ? "violations" : rate, "bad");
  }
  if (occurred.empty()) out += tile("Violations", "0", "of any kind", "good");
  auto churn_tile = [&](const char* name, const std::optional<double>& opened) {
    if (opened)
      out += tile(name, html::number(*opened, 0),
                  totals.requests > 0 ? html::number(*opened / totals.requests, 2) + " per request (churn)" : "churn");
  };
  churn_tile("Redis connections opened", run.lab.redis_connections_opened);
  churn_tile("Database connections opened", run.lab.db_connections_opened);
  return out + "</div>";
}

std::string rate_of_checks(const Totals& totals, const std::string& kind) {
  const std::string check = journal::check_kind_of(kind);
  const auto violations = totals.violations.find(kind);
  const auto checks = totals.checks.find(check);
  if (check.empty() || violations == totals.violations.end() || checks == totals.checks.end() || !(checks->second > 0))
    return "";
  return html::percent(violations->second / checks->second) + " of " + check + " checks";
}

std::string hypothesis_table(const Journal& run) {
  const journal::Hypothesis& h = run.hypothesis;
  std::string out;
  if (!h.title.empty()) out += "<p class=\"hypothesis-title\">" + esc(h.title) + "</p>";
  if (!h.before && !h.after && run.verdict.status != "aborted") return out + "<p class=\"na\">No hypothesis checks recorded.</p>";
  out += "<table class=\"data hypothesis\"><thead><tr><th>Probe</th><th>Measures</th><th>Window</th>"
         "<th>Tolerance</th><th>Value</th><th>Detail</th><th>Result</th></tr></thead><tbody>";
  out += check_rows("Before the method", h.before, run);
  out += check_rows("After the method", h.after, run);
  return out + "</tbody></table>";
}

std::string actions_table(const Journal& run) {
  std::string out;
  out += run.actions.empty() ? "<p class=\"na\">No actions.</p>" : action_table(run.actions);
  if (!run.rollbacks.empty()) out += "<h3>Rollbacks</h3>" + action_table(run.rollbacks);
  return out;
}

std::string events_table(const Journal& run) {
  if (run.events.empty()) return "<p class=\"na\">No lab events recorded.</p>";
  std::vector<const LabEvent*> events;
  for (const LabEvent& e : run.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const LabEvent* a, const LabEvent* b) { return a->t_s < b->t_s; });
  std::string out = "<table class=\"data events\"><thead><tr><th>Time</th><th>Event</th><th>Component</th>"
                    "<th>Detail</th></tr></thead><tbody>";
  for (const LabEvent* e : events) {
    out += "<tr>" + cell(esc(html::seconds(e->t_s)), "num") + cell(esc(e->kind)) + cell(esc(e->component)) +
           cell(esc(e->detail), "detail") + "</tr>";
  }
  return out + "</tbody></table>";
}

namespace {

// Requests the load generator kept, a row each: when, what was asked, the answer, why
// it counts (`why_heading`: the error, or the violation and what it contradicted),
// and where to look for it in the logs.
std::string kept_requests_table(const std::vector<FailedRequest>& rows, const char* why_heading, const char* css) {
  std::string out = std::string("<table class=\"data ") + css +
                    "\"><thead><tr><th>Time</th><th>Request</th><th>Outcome</th><th>" + why_heading +
                    "</th><th>Answered by</th><th>Request id</th></tr></thead><tbody>";
  for (const FailedRequest& f : rows) {
    const std::string why = f.error.empty() ? f.detail : f.detail.empty() ? f.error : f.error + ": " + f.detail;
    out += "<tr>" + cell(esc(html::seconds(f.t_s)), "num") + cell(esc(f.method + " " + f.target)) +
           cell(esc(f.outcome())) + cell(esc(why), "detail") +
           cell(esc(f.instance.empty() ? (f.error.empty() && f.detail.empty() ? "-" : "balancer") : f.instance)) +
           cell(esc(f.request_id.empty() ? "-" : f.request_id)) + "</tr>";
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string failures_table(const Journal& run) {
  const std::vector<FailedRequest>& failures = run.failures();
  if (failures.empty()) return "<p class=\"na\">No failed request.</p>";
  const double errors = run.totals().errors;
  std::string out;
  if (errors > static_cast<double>(failures.size()))
    out += "<p>The first " + std::to_string(failures.size()) + " of " + std::to_string(std::llround(errors)) +
           " failed requests.</p>";
  return out + kept_requests_table(failures, "Error", "failures");
}

std::string violations_table(const Journal& run) {
  const std::vector<FailedRequest>& violations = run.violations();
  if (violations.empty()) return "<p class=\"na\">No violation kept.</p>";
  double total = 0;
  for (const auto& [kind, n] : run.totals().violations) total += n;
  std::string out;
  if (total > static_cast<double>(violations.size()))
    out += "<p>The first of each kind: " + std::to_string(violations.size()) + " of " +
           std::to_string(std::llround(total)) + " violations.</p>";
  return out + kept_requests_table(violations, "Violation", "violations");
}

std::string ceiling_table(const Journal& run) {
  const auto phases = journal::ceiling_phases(run);
  if (phases.empty()) return "";
  std::string out =
      "<p>The ceiling is Little's law on this run's own settings: at most as many requests at once as the "
      "users, or the instances times what one serves at once, each for its work; CPU work also at most the "
      "cores' worth. Within 20 % of it, the ceiling's bound held the run back; further below, the samples "
      "name what did.</p><table class=\"data ceiling\"><thead><tr><th>Seconds</th><th>Instances</th>"
      "<th>Measured (requests/s)</th><th>Ceiling (requests/s)</th><th>Efficiency</th><th>Limited by</th></tr>"
      "</thead><tbody>";
  for (const journal::CeilingPhase& p : phases) {
    out += "<tr>" + cell(esc(html::number(p.from_s, 0) + "â" + html::number(p.to_s, 0) + " s"), "num") +
           cell(esc(html::number(p.ceiling.instances, 0)), "num") + cell(esc(html::number(p.measured_rps, 0)), "num") +
           cell(esc(html::number(p.ceiling.rps, 0)), "num") +
           cell(esc(html::percent(p.efficiency)), p.efficiency < 0.8 ? "num bad" : "num") +
           cell("<strong>" + esc(p.limited_by) + "</strong>: " + esc(p.why)) + "</tr>";
  }
  return out + "</tbody></table>";
}

std::string figure(const svg::Chart& chart, const std::string& caption) {
  return "<figure class=\"chart-figure\"><figcaption>" + esc(caption) + "</figcaption>" + svg::render(chart) +
         "</figure>";
}

std::string chart_key() {
  return "<p class=\"chart-key\"><span class=\"key-action\"></span> action "
         "<span class=\"key-rollback\"></span> rollback "
         "<span class=\"key-event\">\xE2\x96\xBC</span> lab event (exit, ready, ...). "
         "Hover a marker, a tick or a line for details; the tables below list them all. "
         "Times are seconds since the load started.</p>";
}

}  // namespace scalelab::report::sections
