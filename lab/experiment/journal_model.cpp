// Reading a journal into journal_model.hpp's structs. Each reader takes the field's
// path so that an error names it exactly ("series[3].latency_ms.p99").
#include "lab/experiment/journal_model.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

namespace scalelab::experiment {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw std::invalid_argument("journal field '" + path + "' " + problem);
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
std::string index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// The member, or nullptr when absent or null. `object` must be an object.
const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return (it == object.end() || it->is_null()) ? nullptr : &*it;
}

const json& require_object(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) fail(join(path, key), "is missing");
  if (!value->is_object()) fail(join(path, key), "must be an object");
  return *value;
}

json optional_object(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) return json::object();
  if (!value->is_object()) fail(join(path, key), "must be an object");
  return *value;
}

const json* optional_array(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value != nullptr && !value->is_array()) fail(join(path, key), "must be an array");
  return value;
}

std::string optional_string(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) return "";
  if (!value->is_string()) fail(join(path, key), "must be a string");
  return value->get<std::string>();
}

// Reads the optional string fields `fields` names into their targets.
void read_strings(const json& object, const std::string& path,
                  std::initializer_list<std::pair<const char*, std::string*>> fields) {
  for (const auto& [key, target] : fields) *target = optional_string(object, key, path);
}

std::string require_string(const json& parent, const char* key, const std::string& path) {
  if (member(parent, key) == nullptr) fail(join(path, key), "is missing");
  return optional_string(parent, key, path);
}

std::optional<double> optional_number(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) fail(join(path, key), "must be a number");
  return value->get<double>();
}

std::optional<bool> optional_bool(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) fail(join(path, key), "must be true or false");
  return value->get<bool>();
}

void require_schema(const json& document, const std::string& expected, const std::string& path) {
  const std::string schema = require_string(document, "schema", path);
  if (schema != expected) fail(join(path, "schema"), "must be \"" + expected + "\", not \"" + schema + "\"");
}

// Calls visit(element, its path, its index) for each element of the optional array
// parent[key]; every element must be an object.
template <class Visit>
void for_each_object(const json& parent, const char* key, const std::string& path, Visit visit) {
  const json* array = optional_array(parent, key, path);
  if (array == nullptr) return;
  const std::string array_path = join(path, key);
  for (std::size_t i = 0; i < array->size(); ++i) {
    if (!(*array)[i].is_object()) fail(index(array_path, i), "must be an object");
    visit((*array)[i], index(array_path, i), i);
  }
}

// {"name": number, ...}, in the journal's key order.
std::vector<std::pair<std::string, double>> number_map(const json& parent, const char* key, const std::string& path) {
  std::vector<std::pair<std::string, double>> out;
  const json counts = optional_object(parent, key, path);
  for (const auto& [name, value] : counts.items()) {
    if (value.is_null()) continue;
    if (!value.is_number()) fail(join(join(path, key), name), "must be a number");
    out.emplace_back(name, value.get<double>());
  }
  return out;
}

std::map<std::string, double> number_dict(const json& parent, const char* key, const std::string& path) {
  const auto pairs = number_map(parent, key, path);
  return {pairs.begin(), pairs.end()};
}

Probe parse_probe(const json& j, const std::string& path) {
  Probe p;
  read_strings(j, path, {{"name", &p.name}, {"type", &p.type}, {"kind", &p.kind}, {"window", &p.window},
                         {"detail", &p.detail}});
  p.tolerance = optional_object(j, "tolerance", path);
  if (const json* value = member(j, "value")) {
    if (!value->is_number() && !value->is_boolean() && !value->is_string())
      fail(join(path, "value"), "must be a number, a boolean or a string");
    p.value = *value;
  }
  p.percentile = optional_number(j, "percentile", path);
  p.rate = optional_bool(j, "rate", path).value_or(false);
  p.met = optional_bool(j, "met", path);
  return p;
}

std::optional<HypothesisCheck> parse_check(const json& hypothesis, const char* key, const std::string& path) {
  const json* check = member(hypothesis, key);
  if (check == nullptr) return std::nullopt;
  const std::string here = join(path, key);
  if (!check->is_object()) fail(here, "must be an object");
  HypothesisCheck out;
  out.met = optional_bool(*check, "met", here);
  for_each_object(*check, "probes", here, [&](const json& probe, const std::string& probe_path, std::size_t) {
    out.probes.push_back(parse_probe(probe, probe_path));
  });
  return out;
}

std::vector<Action> parse_actions(const json& journal, const char* key, const std::string& where, bool rollback) {
  std::vector<Action> out;
  for_each_object(journal, key, where, [&](const json& j, const std::string& here, std::size_t i) {
    Action a;
    read_strings(j, here, {{"name", &a.name}, {"type", &a.type}, {"status", &a.status}, {"detail", &a.detail}});
    a.args = optional_object(j, "args", here);
    a.at_s = optional_number(j, "at_s", here);
    a.started_s = optional_number(j, "started_s", here);
    a.ended_s = optional_number(j, "ended_s", here);
    a.rollback = rollback;
    if (a.name.empty()) a.name = a.type.empty() ? "action " + std::to_string(i + 1) : a.type;
    out.push_back(std::move(a));
  });
  return out;
}

std::vector<LabEvent> parse_events(const json& journal, const std::string& where) {
  std::vector<LabEvent> out;
  for_each_object(journal, "events", where, [&](const json& j, const std::string& here, std::size_t) {
    LabEvent e;
    const auto t = optional_number(j, "t_s", here);
    if (!t) fail(join(here, "t_s"), "is missing");
    e.t_s = *t;
    read_strings(j, here, {{"kind", &e.kind}, {"component", &e.component}, {"detail", &e.detail}});
    out.push_back(std::move(e));
  });
  return out;
}

std::vector<FailedRequest> parse_failures(const json& load, const std::string& where) {
  std::vector<FailedRequest> out;
  for_each_object(load, "failures", where, [&](const json& j, const std::string& here, std::size_t) {
    FailedRequest f;
    f.t_s = optional_number(j, "t_s", here).value_or(0);
    read_strings(j, here, {{"method", &f.method}, {"target", &f.target}, {"error", &f.error}, {"detail", &f.detail},
                           {"instance", &f.instance}, {"request_id", &f.request_id}, {"transport", &f.outcome}});
    if (const auto status = optional_number(j, "status", here)) f.outcome = std::to_string(std::lround(*status));
    out.push_back(std::move(f));
  });
  return out;
}

Sample parse_sample(const json& j, const std::string& path) {
  Sample s;
  const auto elapsed = optional_number(j, "elapsed_s", path);
  const auto t = optional_number(j, "t", path);  // 1-based second: its end is t seconds in
  if (!elapsed && !t) fail(join(path, "elapsed_s"), "is missing");
  s.elapsed_s = elapsed ? *elapsed : *t;
  s.requests = optional_number(j, "requests", path).value_or(0);
  s.errors = optional_number(j, "errors", path).value_or(0);
  const auto interval = optional_number(j, "interval_s", path).value_or(1.0);
  s.rps = optional_number(j, "rps", path).value_or(interval > 0 ? s.requests / interval : 0);
  s.violations = number_dict(j, "violations", path);
  s.checks = number_dict(j, "checks", path);
  const json latency = optional_object(j, "latency_ms", path);
  const std::string latency_path = join(path, "latency_ms");
  s.latency_count = optional_number(latency, "count", latency_path);
  s.p50_ms = optional_number(latency, "p50", latency_path).value_or(0);
  s.p99_ms = optional_number(latency, "p99", latency_path).value_or(0);
  s.instances = number_map(j, "instances", path);
  return s;
}

}  // namespace

Totals Journal::totals() const {
  Totals t;
  for (const Sample& s : series) {
    t.load_seconds = std::max(t.load_seconds, s.elapsed_s);
    if (std::isfinite(s.p99_ms)) t.worst_p99_ms = std::max(t.worst_p99_ms, s.p99_ms);
  }
  const json* totals = load_result.is_object() ? member(load_result, "totals") : nullptr;
  if (totals != nullptr && totals->is_object()) {
    // Already checked by parse_journal.
    t.requests = optional_number(*totals, "requests", "load.totals").value_or(0);
    t.errors = optional_number(*totals, "errors", "load.totals").value_or(0);
    t.violations = number_dict(*totals, "violations", "load.totals");
    t.checks = number_dict(*totals, "checks", "load.totals");
    return t;
  }
  for (const Sample& s : series) {
    t.requests += s.requests;
    t.errors += s.errors;
    for (const auto& [kind, n] : s.violations) t.violations[kind] += n;
    for (const auto& [kind, n] : s.checks) t.checks[kind] += n;
  }
  return t;
}

Journal parse_journal(const json& journal, const std::string& root) {
  if (!journal.is_object()) fail(root.empty() ? "(journal)" : root, "must be an object");
  require_schema(journal, kJournalSchema, root);

  Journal out;
  const json& experiment = require_object(journal, "experiment", root);
  const std::string exp_path = join(root, "experiment");
  out.title = require_string(experiment, "title", exp_path);
  out.description = optional_string(experiment, "description", exp_path);
  out.file = optional_string(experiment, "file", exp_path);
  if (const json* tags = optional_array(experiment, "tags", exp_path)) {
    for (std::size_t i = 0; i < tags->size(); ++i) {
      if (!(*tags)[i].is_string()) fail(index(join(exp_path, "tags"), i), "must be a string");
      out.tags.push_back((*tags)[i].get<std::string>());
    }
  }
  out.cluster = optional_object(experiment, "cluster", exp_path);
  out.load_settings = optional_object(experiment, "load", exp_path);

  out.label = optional_string(journal, "label", root);
  out.started_at = optional_string(journal, "started_at", root);
  out.ended_at = optional_string(journal, "ended_at", root);
  out.duration_s = optional_number(journal, "duration_s", root);
  out.t0_unix = optional_number(journal, "t0_unix", root);
  const json lab = optional_object(journal, "lab", root);
  out.lab_dir = optional_string(lab, "dir", join(root, "lab"));
  out.lab_base_port = optional_number(lab, "base_port", join(root, "lab"));

  const json hypothesis = optional_object(journal, "hypothesis", root);
  const std::string hyp_path = join(root, "hypothesis");
  out.hypothesis.title = optional_string(hypothesis, "title", hyp_path);
  out.hypothesis.before = parse_check(hypothesis, "before", hyp_path);
  out.hypothesis.after = parse_check(hypothesis, "after", hyp_path);

  out.actions = parse_actions(journal, "actions", root, false);
  out.rollbacks = parse_actions(journal, "rollbacks", root, true);
  out.events = parse_events(journal, root);
  for_each_object(journal, "series", root, [&](const json& sample, const std::string& path, std::size_t) {
    out.series.push_back(parse_sample(sample, path));
  });

  out.load_result = optional_object(journal, "load", root);
  const json totals = optional_object(out.load_result, "totals", join(root, "load"));
  out.failures = parse_failures(out.load_result, join(root, "load"));
  const std::string totals_path = join(root, "load.totals");
  optional_number(totals, "requests", totals_path);
  optional_number(totals, "errors", totals_path);
  number_dict(totals, "violations", totals_path);
  number_dict(totals, "checks", totals_path);

  const json& verdict = require_object(journal, "verdict", root);
  const std::string verdict_path = join(root, "verdict");
  out.status = require_string(verdict, "status", verdict_path);
  if (out.status != "completed" && out.status != "deviated" && out.status != "aborted")
    fail(join(verdict_path, "status"), "must be completed, deviated or aborted, not \"" + out.status + "\"");
  out.deviated = optional_bool(verdict, "deviated", verdict_path).value_or(out.status == "deviated");
  out.summary = optional_string(verdict, "summary", verdict_path);
  out.error = optional_string(verdict, "error", verdict_path);
  return out;
}

Demo parse_demo(const json& demo) {
  if (!demo.is_object()) fail("(demo)", "must be an object");
  require_schema(demo, kDemoSchema, "");
  Demo out;
  out.started_at = optional_string(demo, "started_at", "");
  out.duration_s = optional_number(demo, "duration_s", "");
  const json* runs = optional_array(demo, "runs", "");
  if (runs == nullptr) fail("runs", "is missing");
  for (std::size_t i = 0; i < runs->size(); ++i) out.runs.push_back(parse_journal((*runs)[i], index("runs", i)));
  const json conclusions = optional_object(demo, "conclusions", "");
  for (const auto& [label, line] : conclusions.items()) {
    if (line.is_null()) continue;
    if (!line.is_string()) fail("conclusions." + label, "must be a string");
    out.conclusions[label] = line.get<std::string>();
  }
  return out;
}

std::string check_kind_of(const std::string& violation_kind) {
  static const std::map<std::string, std::string> kChecks = {
      {"session_lost", "session"}, {"cart_lost_write", "cart"}, {"upload_missing", "upload"},
      {"upload_corrupt", "upload"}, {"stale_read", "item"},     {"rate_limit_exceeded", "ratelimit"}};
  const auto it = kChecks.find(violation_kind);
  return it == kChecks.end() ? "" : it->second;
}

const std::vector<std::string>& known_violation_kinds() {
  static const std::vector<std::string> kKinds = {"session_lost",   "cart_lost_write", "upload_missing",
                                                  "upload_corrupt", "stale_read",      "rate_limit_exceeded"};
  return kKinds;
}

std::vector<std::string> in_reading_order(std::set<std::string> kinds) {
  std::vector<std::string> ordered;
  for (const std::string& kind : known_violation_kinds()) {
    if (kinds.erase(kind) > 0) ordered.push_back(kind);
  }
  ordered.insert(ordered.end(), kinds.begin(), kinds.end());
  return ordered;
}

}  // namespace scalelab::experiment
