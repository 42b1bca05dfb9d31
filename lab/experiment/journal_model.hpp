// The journal as the report reads it. A journal (lab/experiment/JOURNAL.md) is a JSON
// document another program wrote, so it is read once into plain structs, every field
// checked on the way: a bad journal fails with one clear message naming the field
// before any HTML is produced, and the renderers never guess at types.
//
// Required: `schema` ("scalelab.journal/1"), `experiment` with a string `title`, and
// `verdict` with a `status` of completed, deviated or aborted. Everything else is
// optional and defaults to empty, zero or absent; a field that is present with the
// wrong type is an error too (null counts as absent).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::experiment {

inline constexpr const char* kJournalSchema = "scalelab.journal/1";
inline constexpr const char* kDemoSchema = "scalelab.demo/1";

struct Probe {
  std::string name, type, kind, window, detail;
  nlohmann::json tolerance;  // {"max": x}, {"min": x} or {"equals": v}; null when absent
  nlohmann::json value;      // number, bool or null (not measured)
  std::optional<double> percentile;
  bool rate = false;
  std::optional<bool> met;   // absent: the check did not run
};

struct HypothesisCheck {
  std::optional<bool> met;
  std::vector<Probe> probes;
};

struct Hypothesis {
  std::string title;
  std::optional<HypothesisCheck> before, after;
};

struct Action {
  std::string name, type, status, detail;
  nlohmann::json args;  // object; empty when absent
  std::optional<double> at_s, started_s, ended_s;
  bool rollback = false;
  // Where the charts draw it: when it started, else when it was planned.
  std::optional<double> chart_time() const { return started_s ? started_s : at_s; }
};

struct LabEvent {
  double t_s = 0;
  std::string kind, component, detail;
};

// One of the first failed requests the load generator kept (load.failures).
struct FailedRequest {
  double t_s = 0;
  std::string method, target;
  std::string outcome;  // the status ("503") or the transport error ("reset")
  std::string error, detail, instance, request_id;
};

// One second of load. Counts absent from the journal read as 0.
struct Sample {
  double elapsed_s = 0;
  double requests = 0, errors = 0, rps = 0;
  std::map<std::string, double> violations;  // by kind, as in the journal
  std::map<std::string, double> checks;      // by check kind
  std::optional<double> latency_count;
  double p50_ms = 0, p99_ms = 0;
  std::vector<std::pair<std::string, double>> instances;  // answers per instance
};

// Whole-run totals: counts from the load result's `totals` when the journal has them,
// else the sum of the series; time and worst latency always from the series.
struct Totals {
  double requests = 0, errors = 0;
  std::map<std::string, double> violations;
  std::map<std::string, double> checks;
  double load_seconds = 0;  // the last sample's elapsed_s
  double worst_p99_ms = 0;  // the highest per-second p99
  double mean_rps() const { return load_seconds > 0 ? requests / load_seconds : 0; }
};

struct Journal {
  std::string title, description, file, label;
  std::vector<std::string> tags;
  nlohmann::json cluster, load_settings;  // experiment.cluster / experiment.load, objects
  std::string started_at, ended_at;
  std::optional<double> duration_s, t0_unix;
  std::string lab_dir;
  std::optional<double> lab_base_port;

  Hypothesis hypothesis;
  std::vector<Action> actions, rollbacks;
  std::vector<LabEvent> events;
  std::vector<Sample> series;
  nlohmann::json load_result;  // `load`, an object; empty when absent
  std::vector<FailedRequest> failures;  // load.failures; empty when absent

  std::string status;  // completed | deviated | aborted
  bool deviated = false;
  std::string summary, error;

  Totals totals() const;
};

// Reads and checks a journal. `root` is the journal's own path in error messages
// ("runs[1]" for a demo's second run). Throws std::invalid_argument naming the field:
// "journal field 'runs[1].verdict.status' is missing".
Journal parse_journal(const nlohmann::json& journal, const std::string& root = "");

struct Demo {
  std::string started_at;
  std::optional<double> duration_s;
  std::vector<Journal> runs;
  std::map<std::string, std::string> conclusions;  // by run label
};

// Reads and checks a scalelab.demo/1 document; each run as parse_journal.
Demo parse_demo(const nlohmann::json& demo);

// The check kind a violation kind is a rate of (session_lost -> session), or "".
std::string check_kind_of(const std::string& violation_kind);

// The violation kinds the load generator classifies, in its order (lab/load/README.md).
const std::vector<std::string>& known_violation_kinds();

// `kinds` in a stable reading order: the known kinds in their order, then the others
// alphabetically.
std::vector<std::string> in_reading_order(std::set<std::string> kinds);

}  // namespace scalelab::experiment
