// journal_json.hpp. Each reader takes the field's path so that an error names it
// exactly ("series[3].latency_ms.p99"); each writer writes the keys its reader reads,
// counts as integers and the optional fields only when they are set.
#include "lab/journal/journal_json.hpp"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace scalelab::journal {
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

std::optional<std::string> maybe_string(const json& parent, const char* key, const std::string& path) {
  const json* value = member(parent, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) fail(join(path, key), "must be a string");
  return value->get<std::string>();
}

std::string optional_string(const json& parent, const char* key, const std::string& path) {
  return maybe_string(parent, key, path).value_or("");
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

double number_or_zero(const json& parent, const char* key, const std::string& path) {
  return optional_number(parent, key, path).value_or(0);
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

// Each object of the optional array parent[key], read by read(element, its path).
template <class T, class Read>
std::vector<T> read_objects(const json& parent, const char* key, const std::string& path, Read read) {
  std::vector<T> out;
  for_each_object(parent, key, path,
                  [&](const json& j, const std::string& here, std::size_t) { out.push_back(read(j, here)); });
  return out;
}

// {"name": number, ...}, in the journal's key order.
InstanceCounts number_map(const json& parent, const char* key, const std::string& path) {
  InstanceCounts out;
  const json counts = optional_object(parent, key, path);
  for (const auto& [name, value] : counts.items()) {
    if (value.is_null()) continue;
    if (!value.is_number()) fail(join(join(path, key), name), "must be a number");
    out.emplace_back(name, value.get<double>());
  }
  return out;
}

Counts number_dict(const json& parent, const char* key, const std::string& path) {
  const auto pairs = number_map(parent, key, path);
  return {pairs.begin(), pairs.end()};
}

Tally read_tally(const json& j, const std::string& path) {
  Tally t;
  t.requests = number_or_zero(j, "requests", path);
  t.responses = number_or_zero(j, "responses", path);
  t.errors = number_or_zero(j, "errors", path);
  t.status = number_dict(j, "status", path);
  t.transport = number_dict(j, "transport", path);
  t.violations = number_dict(j, "violations", path);
  t.checks = number_dict(j, "checks", path);
  return t;
}

// Latency's fields in milliseconds, by their names in latency_ms.
constexpr std::pair<const char*, double Latency::*> kLatencyFields[] = {
    {"p50", &Latency::p50}, {"p90", &Latency::p90}, {"p99", &Latency::p99},
    {"p999", &Latency::p999}, {"max", &Latency::max}, {"mean", &Latency::mean}};

Latency read_latency(const json& parent, const std::string& path, const char* key = "latency_ms") {
  const json j = optional_object(parent, key, path);
  const std::string here = join(path, key);
  Latency l;
  l.count = optional_number(j, "count", here);
  for (const auto& [key, field] : kLatencyFields) l.*field = number_or_zero(j, key, here);
  return l;
}

Tolerance read_tolerance(const json& parent, const std::string& path) {
  const json j = optional_object(parent, "tolerance", path);
  const std::string here = join(path, "tolerance");
  return {optional_number(j, "max", here), optional_number(j, "min", here), optional_bool(j, "equals", here)};
}

ProbeValue read_value(const json* value, const std::string& path) {
  if (value == nullptr) return std::monostate{};
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_number_float()) return value->get<double>();
  if (value->is_number()) return value->get<std::int64_t>();
  if (value->is_string()) return value->get<std::string>();
  fail(path, "must be a number, a boolean or a string");
}

ProbeResult read_probe(const json& j, const std::string& path) {
  ProbeResult p;
  read_strings(j, path, {{"name", &p.name}, {"type", &p.type}, {"window", &p.window}, {"detail", &p.detail}});
  p.kind = maybe_string(j, "kind", path);
  p.status = maybe_string(j, "status", path);
  p.tolerance = read_tolerance(j, path);
  p.value = read_value(member(j, "value"), join(path, "value"));
  p.percentile = optional_number(j, "percentile", path);
  p.rate = optional_bool(j, "rate", path);
  p.met = optional_bool(j, "met", path);
  return p;
}

std::optional<HypothesisCheck> read_check(const json& hypothesis, const char* key, const std::string& path) {
  const json* check = member(hypothesis, key);
  if (check == nullptr) return std::nullopt;
  const std::string here = join(path, key);
  if (!check->is_object()) fail(here, "must be an object");
  HypothesisCheck out;
  out.met = optional_bool(*check, "met", here);
  out.probes = read_objects<ProbeResult>(*check, "probes", here, read_probe);
  return out;
}

std::vector<Action> read_actions(const json& journal, const char* key, const std::string& where, bool rollback) {
  return read_objects<Action>(journal, key, where, [&](const json& j, const std::string& here) {
    Action a;
    read_strings(j, here, {{"name", &a.name}, {"type", &a.type}, {"status", &a.status}, {"detail", &a.detail}});
    a.args = optional_object(j, "args", here);
    a.at_s = optional_number(j, "at_s", here);
    a.started_s = optional_number(j, "started_s", here);
    a.ended_s = optional_number(j, "ended_s", here);
    a.rollback = rollback;
    return a;
  });
}

std::vector<LabEvent> read_events(const json& journal, const std::string& where) {
  return read_objects<LabEvent>(journal, "events", where, [](const json& j, const std::string& here) {
    LabEvent e;
    const auto t = optional_number(j, "t_s", here);
    if (!t) fail(join(here, "t_s"), "is missing");
    e.t_s = *t;
    read_strings(j, here, {{"kind", &e.kind}, {"component", &e.component}, {"detail", &e.detail}});
    return e;
  });
}

// load.failures or load.violations: the requests kept, in the same shape.
std::vector<FailedRequest> read_failures(const json& load, const char* key, const std::string& where) {
  return read_objects<FailedRequest>(load, key, where, [](const json& j, const std::string& here) {
    FailedRequest f;
    f.t_s = number_or_zero(j, "t_s", here);
    read_strings(j, here, {{"method", &f.method}, {"target", &f.target}, {"error", &f.error}, {"detail", &f.detail},
                           {"instance", &f.instance}, {"request_id", &f.request_id}});
    f.transport = maybe_string(j, "transport", here);
    if (const auto status = optional_number(j, "status", here)) f.status = static_cast<int>(std::lround(*status));
    return f;
  });
}

ExperimentInfo read_experiment(const json& journal, const std::string& root) {
  const json& experiment = require_object(journal, "experiment", root);
  const std::string path = join(root, "experiment");
  ExperimentInfo out;
  out.title = require_string(experiment, "title", path);
  out.description = optional_string(experiment, "description", path);
  out.file = optional_string(experiment, "file", path);
  if (const json* tags = optional_array(experiment, "tags", path)) {
    for (std::size_t i = 0; i < tags->size(); ++i) {
      if (!(*tags)[i].is_string()) fail(index(join(path, "tags"), i), "must be a string");
      out.tags.push_back((*tags)[i].get<std::string>());
    }
  }
  out.cluster = optional_object(experiment, "cluster", path);
  out.load = optional_object(experiment, "load", path);
  return out;
}

Verdict read_verdict(const json& journal, const std::string& root) {
  const json& verdict = require_object(journal, "verdict", root);
  const std::string path = join(root, "verdict");
  Verdict out;
  out.status = require_string(verdict, "status", path);
  if (out.status != "completed" && out.status != "deviated" && out.status != "aborted")
    fail(join(path, "status"), "must be completed, deviated or aborted, not \"" + out.status + "\"");
  out.deviated = optional_bool(verdict, "deviated", path).value_or(out.status == "deviated");
  out.summary = optional_string(verdict, "summary", path);
  out.error = optional_string(verdict, "error", path);
  return out;
}

// A count as the journal writes it: an integer when it is one.
json whole(double value) {
  if (std::trunc(value) != value || std::fabs(value) >= 9.2e18) return value;
  if (value >= 0) return static_cast<std::uint64_t>(value);
  return static_cast<std::int64_t>(value);
}

json counts_json(const Counts& counts) {
  json j = json::object();
  for (const auto& [name, n] : counts) j[name] = whole(n);
  return j;
}

json instances_json(const InstanceCounts& counts) {
  json j = json::object();
  for (const auto& [name, n] : counts) j[name] = whole(n);
  return j;
}

void write_tally(json& j, const Tally& t) {
  j["requests"] = whole(t.requests);
  j["responses"] = whole(t.responses);
  j["errors"] = whole(t.errors);
  j["status"] = counts_json(t.status);
  j["transport"] = counts_json(t.transport);
  j["violations"] = counts_json(t.violations);
  j["checks"] = counts_json(t.checks);
}

json latency_json(const Latency& l) {
  json j = json::object();
  for (const auto& [key, field] : kLatencyFields) j[key] = l.*field;
  if (l.count) j["count"] = whole(*l.count);
  return j;
}

json tolerance_json(const Tolerance& t) {
  json j = json::object();
  if (t.equals) j["equals"] = *t.equals;
  if (t.max) j["max"] = *t.max;
  if (t.min) j["min"] = *t.min;
  return j;
}

json value_json(const ProbeValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) return nullptr;
        else return v;
      },
      value);
}

json check_json(const HypothesisCheck& check) {
  json probes = json::array();
  for (const ProbeResult& p : check.probes) probes.push_back(to_json(p));
  json j{{"probes", std::move(probes)}};
  if (check.met) j["met"] = *check.met;
  return j;
}

json action_json(const Action& a) {
  json j{{"name", a.name}, {"type", a.type}, {"args", a.args}, {"status", a.status}, {"detail", a.detail}};
  if (a.at_s) j["at_s"] = *a.at_s;
  if (a.started_s) j["started_s"] = *a.started_s;
  if (a.ended_s) j["ended_s"] = *a.ended_s;
  return j;
}

json failure_json(const FailedRequest& f) {
  json j{{"t_s", f.t_s},     {"method", f.method},     {"target", f.target},        {"error", f.error},
         {"detail", f.detail}, {"instance", f.instance}, {"request_id", f.request_id}};
  if (f.transport) j["transport"] = *f.transport;
  if (f.status) j["status"] = *f.status;
  return j;
}

json load_json(const std::optional<LoadRun>& load) {
  if (!load) return json::object();
  json failures = json::array(), violations = json::array();
  for (const FailedRequest& f : load->failures) failures.push_back(failure_json(f));
  for (const FailedRequest& v : load->violations) violations.push_back(failure_json(v));
  json j{{"config", load->config},
         {"started_at", load->started_at},
         {"duration_s", load->duration_s},
         {"stop_reason", load->stop_reason},
         {"target_answered", load->target_answered},
         {"failures", std::move(failures)}};
  if (!violations.empty()) j["violations"] = std::move(violations);  // journals before them round-trip as they were
  if (const auto& t = load->totals) {
    json totals = json::object();
    write_tally(totals, t->counts);
    totals["rps"] = t->rps;
    totals["latency_ms"] = latency_json(t->latency);
    if (t->cold_start) totals["cold_start_ms"] = latency_json(*t->cold_start);
    totals["instances"] = instances_json(t->instances);
    totals["scenarios"] = counts_json(t->scenarios);
    if (!t->checkouts.empty()) totals["checkouts"] = counts_json(t->checkouts);
    if (!t->order_listings.empty()) totals["order_listings"] = counts_json(t->order_listings);
    j["totals"] = std::move(totals);
  }
  if (!load->stock.empty()) j["stock"] = load->stock;
  return j;
}

template <class T, class Write>
json array_of(const std::vector<T>& items, Write write) {
  json out = json::array();
  for (const T& item : items) out.push_back(write(item));
  return out;
}

}  // namespace

Sample parse_sample(const json& j, const std::string& path) {
  Sample s;
  const auto elapsed = optional_number(j, "elapsed_s", path);
  const auto t = optional_number(j, "t", path);  // 1-based second: its end is t seconds in
  if (!elapsed && !t) fail(join(path, "elapsed_s"), "is missing");
  s.t = t ? static_cast<unsigned>(*t) : 0;
  s.elapsed_s = elapsed ? *elapsed : *t;
  s.interval_s = optional_number(j, "interval_s", path);
  s.counts = read_tally(j, path);
  s.rps = optional_number(j, "rps", path).value_or(s.interval() > 0 ? s.counts.requests / s.interval() : 0);
  s.latency = read_latency(j, path);
  if (member(j, "cold_start_ms")) s.cold_start = read_latency(j, path, "cold_start_ms");
  s.instances = number_map(j, "instances", path);
  if (const json* db = member(j, "db")) {
    const std::string here = join(path, "db");
    if (!db->is_object()) fail(here, "must be an object");
    s.db = DbConnections{optional_number(*db, "server_connections", here), optional_number(*db, "budget", here),
                         optional_number(*db, "pool_connections", here), optional_number(*db, "pool_waiting", here)};
  }
  if (const json* ceiling = member(j, "ceiling")) s.ceiling = parse_ceiling(*ceiling, join(path, "ceiling"));
  s.cpu_busy = optional_number(j, "cpu_busy", path);
  if (const json* apps = member(j, "apps")) {
    const std::string here = join(path, "apps");
    if (!apps->is_object()) fail(here, "must be an object");
    s.apps = Footprint{optional_number(*apps, "rss_bytes", here).value_or(0), optional_number(*apps, "threads", here).value_or(0)};
  }
  return s;
}

std::optional<LoadRun> parse_load_run(const json& load, const std::string& path) {
  if (!load.is_object()) fail(path, "must be an object");
  if (load.empty()) return std::nullopt;
  LoadRun out;
  out.config = optional_object(load, "config", path);
  out.started_at = optional_string(load, "started_at", path);
  out.stop_reason = optional_string(load, "stop_reason", path);
  out.duration_s = number_or_zero(load, "duration_s", path);
  out.target_answered = optional_bool(load, "target_answered", path).value_or(false);
  if (const json* totals = member(load, "totals")) {
    const std::string here = join(path, "totals");
    if (!totals->is_object()) fail(here, "must be an object");
    LoadTotals t;
    t.counts = read_tally(*totals, here);
    t.rps = number_or_zero(*totals, "rps", here);
    t.latency = read_latency(*totals, here);
    if (member(*totals, "cold_start_ms")) t.cold_start = read_latency(*totals, here, "cold_start_ms");
    t.instances = number_map(*totals, "instances", here);
    t.scenarios = number_dict(*totals, "scenarios", here);
    t.checkouts = number_dict(*totals, "checkouts", here);
    t.order_listings = number_dict(*totals, "order_listings", here);
    out.totals = std::move(t);
  }
  if (const json* stock = member(load, "stock")) {
    if (!stock->is_array()) fail(join(path, "stock"), "must be an array");
    out.stock = *stock;
  }
  out.failures = read_failures(load, "failures", path);
  out.violations = read_failures(load, "violations", path);
  return out;
}

Journal parse_journal(const json& journal, const std::string& root) {
  if (!journal.is_object()) fail(root.empty() ? "(journal)" : root, "must be an object");
  require_schema(journal, kJournalSchema, root);

  Journal out;
  out.experiment = read_experiment(journal, root);
  out.label = optional_string(journal, "label", root);
  out.started_at = optional_string(journal, "started_at", root);
  out.ended_at = optional_string(journal, "ended_at", root);
  out.duration_s = optional_number(journal, "duration_s", root);
  out.t0_unix = optional_number(journal, "t0_unix", root);
  const json lab = optional_object(journal, "lab", root);
  out.lab.dir = optional_string(lab, "dir", join(root, "lab"));
  out.lab.base_port = optional_number(lab, "base_port", join(root, "lab"));
  out.lab.first_attempt = maybe_string(lab, "first_attempt", join(root, "lab"));
  out.lab.redis_connections_opened = optional_number(lab, "redis_connections_opened", join(root, "lab"));
  out.lab.db_connections_opened = optional_number(lab, "db_connections_opened", join(root, "lab"));

  const json hypothesis = optional_object(journal, "hypothesis", root);
  const std::string hyp_path = join(root, "hypothesis");
  out.hypothesis.title = optional_string(hypothesis, "title", hyp_path);
  out.hypothesis.before = read_check(hypothesis, "before", hyp_path);
  out.hypothesis.after = read_check(hypothesis, "after", hyp_path);

  out.actions = read_actions(journal, "actions", root, false);
  out.rollbacks = read_actions(journal, "rollbacks", root, true);
  out.events = read_events(journal, root);
  out.series = read_objects<Sample>(journal, "series", root, [](const json& j, const std::string& here) {
    return parse_sample(j, here);
  });
  out.load = parse_load_run(optional_object(journal, "load", root), join(root, "load"));
  out.verdict = read_verdict(journal, root);
  if (const json* capacity = member(journal, "capacity")) out.capacity = parse_capacity(*capacity, join(root, "capacity"));
  return out;
}

Demo parse_demo(const json& demo) {
  if (!demo.is_object()) fail("(demo)", "must be an object");
  require_schema(demo, kDemoSchema, "");
  Demo out;
  out.topic = optional_string(demo, "topic", "");
  out.description = optional_string(demo, "description", "");
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

json db_json(const DbConnections& db) {
  json j = json::object();
  auto put = [&j](const char* key, const std::optional<double>& v) {
    if (v) j[key] = *v;
  };
  put("server_connections", db.server);
  put("budget", db.budget);
  put("pool_connections", db.pool_open);
  put("pool_waiting", db.pool_waiting);
  return j;
}

json to_json(const Sample& s) {
  json j{{"t", s.t},
         {"elapsed_s", s.elapsed_s},
         {"rps", s.rps},
         {"latency_ms", latency_json(s.latency)},
         {"instances", instances_json(s.instances)}};
  if (s.cold_start) j["cold_start_ms"] = latency_json(*s.cold_start);
  if (s.interval_s) j["interval_s"] = *s.interval_s;
  if (s.db) j["db"] = db_json(*s.db);
  if (s.ceiling) j["ceiling"] = to_json(*s.ceiling);
  if (s.cpu_busy) j["cpu_busy"] = *s.cpu_busy;
  if (s.apps) j["apps"] = {{"rss_bytes", s.apps->rss_bytes}, {"threads", s.apps->threads}};
  write_tally(j, s.counts);
  return j;
}

json to_json(const ProbeResult& p) {
  json j{{"name", p.name},
         {"type", p.type},
         {"window", p.window},
         {"tolerance", tolerance_json(p.tolerance)},
         {"value", value_json(p.value)},
         {"detail", p.detail}};
  if (p.met) j["met"] = *p.met;
  if (p.kind) j["kind"] = *p.kind;
  if (p.rate) j["rate"] = *p.rate;
  if (p.percentile) j["percentile"] = whole(*p.percentile);
  if (p.status) j["status"] = *p.status;
  return j;
}

json to_json(const Journal& run) {
  const ExperimentInfo& x = run.experiment;
  json lab{{"dir", run.lab.dir}};
  if (run.lab.base_port) lab["base_port"] = whole(*run.lab.base_port);
  if (run.lab.first_attempt) lab["first_attempt"] = *run.lab.first_attempt;
  if (run.lab.redis_connections_opened) lab["redis_connections_opened"] = whole(*run.lab.redis_connections_opened);
  if (run.lab.db_connections_opened) lab["db_connections_opened"] = whole(*run.lab.db_connections_opened);
  json hypothesis{{"title", run.hypothesis.title}};
  if (run.hypothesis.before) hypothesis["before"] = check_json(*run.hypothesis.before);
  if (run.hypothesis.after) hypothesis["after"] = check_json(*run.hypothesis.after);
  const Verdict& v = run.verdict;
  json j{{"schema", kJournalSchema},
         {"experiment",
          {{"title", x.title},
           {"description", x.description},
           {"tags", x.tags},
           {"file", x.file},
           {"cluster", x.cluster},
           {"load", x.load}}},
         {"label", run.label},
         {"started_at", run.started_at},
         {"ended_at", run.ended_at},
         {"lab", std::move(lab)},
         {"hypothesis", std::move(hypothesis)},
         {"actions", array_of(run.actions, action_json)},
         {"rollbacks", array_of(run.rollbacks, action_json)},
         {"events", array_of(run.events,
                             [](const LabEvent& e) -> json {
                               return {{"t_s", e.t_s}, {"kind", e.kind}, {"component", e.component},
                                       {"detail", e.detail}};
                             })},
         {"series", array_of(run.series, [](const Sample& s) { return to_json(s); })},
         {"load", load_json(run.load)},
         {"verdict", {{"deviated", v.deviated}, {"status", v.status}, {"summary", v.summary}, {"error", v.error}}}};
  if (run.duration_s) j["duration_s"] = *run.duration_s;
  if (run.t0_unix) j["t0_unix"] = *run.t0_unix;
  if (run.capacity) j["capacity"] = to_json(*run.capacity);
  return j;
}

json to_json(const Demo& demo) {
  json j{{"schema", kDemoSchema},
         {"started_at", demo.started_at},
         {"runs", array_of(demo.runs, [](const Journal& run) { return to_json(run); })},
         {"conclusions", demo.conclusions}};
  if (demo.duration_s) j["duration_s"] = *demo.duration_s;
  if (!demo.topic.empty()) j["topic"] = demo.topic;
  if (!demo.description.empty()) j["description"] = demo.description;
  return j;
}

std::string journal_text(const json& document) {
  return document.dump(2, ' ', false, json::error_handler_t::replace) + '\n';
}

}  // namespace scalelab::journal
