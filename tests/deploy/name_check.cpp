#include "tests/deploy/name_check.hpp"

#include "tests/deploy/promql_names.hpp"

namespace scalelab::deploytest {
namespace {

// Labels Prometheus attaches to every scraped series.
const std::set<std::string> kTargetLabels{"job", "instance"};

// Series Prometheus makes itself, with the labels they carry (empty: any).
const std::map<std::string, std::set<std::string>>& synthetic() {
  static const std::map<std::string, std::set<std::string>> names{
      {"up", {"job", "instance"}}, {"ALERTS", {}}, {"ALERTS_FOR_STATE", {}}};
  return names;
}

}  // namespace

NameChecker::NameChecker(std::map<std::string, MetricNames> live, const std::vector<RecordingRule>& recorded)
    : live_(std::move(live)) {
  // In file order: a rule may build on the ones recorded before it.
  for (const auto& rule : recorded) recorded_[rule.name] = derive_labels(rule.expr);
}

std::set<std::string> NameChecker::derive_labels(const std::string& expr) const {
  const auto names = promql_names(expr);
  std::set<std::string> labels;
  // An aggregation's by() decides what survives (`le` is consumed by
  // histogram_quantile). Without one, or when vectors are matched (the left side's
  // labels survive a group_left), the operands' labels do.
  for (const auto& l : names.grouping_labels)
    if (l != "le") labels.insert(l);
  if (!labels.empty() && !names.vector_matching) return labels;
  for (const auto& s : names.selectors) {
    std::set<std::string> of;
    if (labels_of(s.metric, of)) labels.insert(of.begin(), of.end());
  }
  labels.erase("le");
  return labels;
}

bool NameChecker::labels_of(const std::string& metric, std::set<std::string>& labels) const {
  if (auto it = recorded_.find(metric); it != recorded_.end()) {
    labels = it->second;
    return true;
  }
  if (auto it = synthetic().find(metric); it != synthetic().end()) {
    labels = it->second;
    return true;
  }
  bool found = false;
  for (const auto& [job, names] : live_) {
    if (!names.series.count(metric)) continue;
    found = true;
    for (const auto& l : names.labels(metric)) labels.insert(l);
  }
  if (found) labels.insert(kTargetLabels.begin(), kTargetLabels.end());
  return found;
}

std::vector<std::string> NameChecker::check(const Expression& e) const {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) { problems.push_back(e.where + ": " + what + "  [" + e.expr + "]"); };
  PromqlNames names;
  try {
    names = promql_names(e.expr);
  } catch (const std::invalid_argument& error) {
    problem(error.what());
    return problems;
  }
  if (names.selectors.empty()) problem("names no metric at all");

  std::set<std::string> available(kTargetLabels);
  for (const auto& s : names.selectors) {
    std::string metric = s.metric;
    for (const auto& m : s.matchers)
      if (m.label == "__name__" && m.op == "=") metric = m.value;
    std::set<std::string> labels;
    if (!labels_of(metric, labels)) {
      problem("'" + metric + "' is neither exported by a scalelab binary nor a recording rule");
      continue;
    }
    available.insert(labels.begin(), labels.end());
    const bool any_label = synthetic().count(metric) && synthetic().at(metric).empty();
    for (const auto& m : s.matchers) {
      if (m.label == "__name__" || any_label) continue;
      if (!labels.count(m.label)) {
        problem("'" + metric + "' has no label '" + m.label + "'");
        continue;
      }
      if (m.label == "job" && m.op == "=") {
        // The metric must come from that job's binary (recording rules and
        // Prometheus' own series may carry any job).
        auto source = live_.find(m.value);
        const bool live_metric = !recorded_.count(metric) && !synthetic().count(metric);
        if (live_metric && (source == live_.end() || !source->second.series.count(metric)))
          problem("'" + metric + "' is not exported by the job '" + m.value + "'");
        continue;
      }
      if (m.op != "=" || kTargetLabels.count(m.label) || recorded_.count(metric) || synthetic().count(metric)) continue;
      bool seen = false;
      for (const auto& [job, live] : live_) {
        auto series = live.series.find(metric);
        if (series == live.series.end()) continue;
        auto values = series->second.find(m.label);
        if (values != series->second.end() && values->second.count(m.value)) seen = true;
      }
      if (!seen) problem("'" + metric + "' was never seen with " + m.label + "=\"" + m.value + "\"");
    }
  }
  for (const auto& label : names.grouping_labels)
    if (!available.count(label)) problem("groups by '" + label + "', a label none of its metrics carries");
  return problems;
}

}  // namespace scalelab::deploytest
