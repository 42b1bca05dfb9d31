// The experiment journal as C++ types: what one run of an experiment measured and did
// (lab/experiment/JOURNAL.md documents the JSON). The runner fills a Journal, the
// hypothesis reads its samples, the demo and the report read the whole of it, and
// journal_json.hpp turns it into JSON and back. It is the one shape the lab's
// experiment data has; nothing else reads a journal by key.
//
// A journal is also a document that other programs may write, so the types keep what
// a reader needs to redraw it: violation and check kinds are names (not load::Violation),
// and counts are numbers that are whole by contract and written as integers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/journal/ceiling.hpp"

namespace scalelab::journal {

inline constexpr const char* kJournalSchema = "scalelab.journal/1";
inline constexpr const char* kDemoSchema = "scalelab.demo/1";

// A count (requests, violations, answers...): a whole number, kept as a double so a
// journal with huge values still reads, and written back as an integer.
using Count = double;
// Counts by name, as the journal writes them ("session_lost" -> 412), in name order.
using Counts = std::map<std::string, Count>;
// counts[name], 0 when the name is absent.
Count count_of(const Counts& counts, const std::string& name);

// What a probe must measure to hold: at most max, at least min, or (for a yes/no
// probe) equal to `equals`. Absent bounds do not apply.
struct Tolerance {
  std::optional<double> max{}, min{};  // {} so that {.max = 0} is a complete initializer
  std::optional<bool> equals{};
  bool accepts(double value) const;
  bool empty() const { return !max && !min && !equals; }
};

// A probe's measurement: not measured, a whole number, a number, yes/no, or text (a
// journal from elsewhere). Which one is kept, so the journal is written back as read.
using ProbeValue = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

// One probe of the hypothesis, checked. Optional fields are written only when set:
// `kind` and `rate` for violations, `percentile` for latency, `status` for status.
struct ProbeResult {
  std::string name, type, window, detail;
  std::optional<std::string> kind;
  std::optional<bool> rate;
  std::optional<double> percentile;
  std::optional<std::string> status;
  Tolerance tolerance;
  ProbeValue value;
  std::optional<bool> met;  // absent: the check did not run
};

struct HypothesisCheck {
  std::optional<bool> met;
  std::vector<ProbeResult> probes;
};

struct Hypothesis {
  std::string title;
  std::optional<HypothesisCheck> before, after;
};

// An action of the method or a rollback, as it ran.
struct Action {
  std::string name, type, status, detail;
  nlohmann::json args = nlohmann::json::object();  // the action's own arguments, as the file gave them
  std::optional<double> at_s, started_s, ended_s;  // at_s: when the file said (method only)
  bool rollback = false;                           // which list it is in; not written
  // Where the charts draw it: when it started, else when it was planned.
  std::optional<double> chart_time() const { return started_s ? started_s : at_s; }
  // What a reader calls it: the name, else the type, else "action N" for the
  // `index`-th (0-based) of its list.
  std::string label(std::size_t index) const;
};

// One of the lab's own events, timed from t0.
struct LabEvent {
  double t_s = 0;
  std::string kind, component, detail;
};

// One of the first failed requests the load generator kept (load.failures).
struct FailedRequest {
  double t_s = 0;
  std::string method, target;
  std::optional<int> status;             // an answer's status...
  std::optional<std::string> transport;  // ...or the transport error ("reset")
  std::string error, detail, instance, request_id;
  // The status ("503") or the transport error.
  std::string outcome() const;
};

// Latency percentiles of one second (or of the run), in ms.
struct Latency {
  std::optional<Count> count;  // responses measured; absent in hand-written journals
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

// Answers per instance, in the journal's order.
using InstanceCounts = std::vector<std::pair<std::string, Count>>;

// What lab/load counts, by the names lab/load/README.md gives them.
struct Tally {
  Count requests = 0, responses = 0, errors = 0;
  Counts status, transport, violations, checks;
};

// The database's connections at the end of one second (lab/supervisor/db_meter.hpp):
// what the server holds for the instances against its budget, and what the instances'
// pools hold and wait for. A figure that could not be read is absent.
struct DbConnections {
  std::optional<double> server;        // client connections PostgreSQL holds (not the superuser's)
  std::optional<double> budget;        // max_connections minus the superuser's reserve
  std::optional<double> pool_open;     // the instances' pools: connections open or being opened (to PostgreSQL, or pgbouncer)
  std::optional<double> pool_waiting;  // requests waiting for one of them
};

// What processes hold: resident memory and threads (what a concurrency model costs).
struct Footprint {
  double rss_bytes = 0;
  double threads = 0;
};

// One second of load (lab/load's Sample). Counts absent from a journal read as 0.
struct Sample {
  unsigned t = 0;                    // 1-based index of the second
  double elapsed_s = 0;              // the end of the second, from t0
  std::optional<double> interval_s;  // 1 s, except for the last, partial second
  double rps = 0;
  Tally counts;
  Latency latency;
  // The responses of this second that waited for an instance to start (scale to zero):
  // lab/load's cold_start_ms, absent when none did.
  std::optional<Latency> cold_start;
  InstanceCounts instances;
  std::optional<DbConnections> db;  // the experiment runner's reading, when the lab has a database
  // The most this second could serve (ceiling.hpp), when the run has a capacity.
  std::optional<Ceiling> ceiling;
  // The machine's CPU in this second: busy time over all cores' time, 0 to 1.
  std::optional<double> cpu_busy;
  // The lab's instances at the end of the second, summed over their processes.
  std::optional<Footprint> apps;
  // The length of the second (1 s when the journal does not say).
  double interval() const { return interval_s.value_or(1.0); }
};

// The whole run's counts from lab/load (load.totals).
struct LoadTotals {
  Tally counts;
  double rps = 0;
  Latency latency;
  std::optional<Latency> cold_start;  // lab/load's totals.cold_start_ms, when present
  InstanceCounts instances;
  Counts scenarios;
  Counts checkouts;  // how the checkout scenario's checkouts ended; empty without one
  // The orders scenario's listings: count, db_queries, queries_per_listing; empty without one.
  Counts order_listings;
};

// lab/load's LoadResult without its samples (they are the journal's series).
struct LoadRun {
  nlohmann::json config = nlohmann::json::object();  // the load's settings, as lab/load wrote them
  std::string started_at, stop_reason;
  double duration_s = 0;
  bool target_answered = false;
  std::optional<LoadTotals> totals;
  std::vector<FailedRequest> failures;
  // The first violations of each kind, with the requests that showed them (lab/load's
  // `violations`: `error` is the violation's name).
  std::vector<FailedRequest> violations;
  // The stock audit of a run that checked out (lab/load's `stock`), as lab/load wrote
  // it; an empty array otherwise.
  nlohmann::json stock = nlohmann::json::array();
};

// What the run was: the experiment file's facts and settings.
struct ExperimentInfo {
  std::string title, description, file;
  std::vector<std::string> tags;
  // The cluster and load settings, shown as they are (keys and values vary with the
  // lab's options; nothing computes with them).
  nlohmann::json cluster = nlohmann::json::object(), load = nlohmann::json::object();
};

// Where the lab ran.
struct LabPlace {
  std::string dir;
  std::optional<double> base_port;
  std::optional<std::string> first_attempt;  // why a first range of ports failed
  // Connections to Redis the instances opened while the load ran (connection churn:
  // lab/experiment/instance_meter.hpp); absent when not measured.
  std::optional<double> redis_connections_opened;
  // Likewise to the database (db_connections_opened_total); absent without a database.
  std::optional<double> db_connections_opened;
};

struct Verdict {
  std::string status;  // completed | deviated | aborted
  bool deviated = false;
  std::string summary, error;
};

// Whole-run totals: counts from load.totals when the journal has them, else the sum of
// the series; time and worst latency always from the series.
struct Totals {
  Count requests = 0, errors = 0;
  Counts violations, checks;
  double load_seconds = 0;  // the last sample's elapsed_s
  double worst_p99_ms = 0;  // the highest per-second p99
  double mean_rps() const { return load_seconds > 0 ? requests / load_seconds : 0; }
};

struct Journal {
  ExperimentInfo experiment;
  std::string label;  // the demo's mode name; "" for a single experiment
  std::string started_at, ended_at;
  std::optional<double> duration_s, t0_unix;
  LabPlace lab;
  Hypothesis hypothesis;
  std::vector<Action> actions, rollbacks;
  std::vector<LabEvent> events;
  std::vector<Sample> series;
  std::optional<LoadRun> load;  // absent: the load never ran (written as {})
  // What bounds the run's throughput (ceiling.hpp); absent unless every request's
  // service time is known.
  std::optional<Capacity> capacity;
  Verdict verdict;

  Totals totals() const;
  // The first failed requests the load kept; empty when the load never ran.
  const std::vector<FailedRequest>& failures() const;
  // The first violations of each kind the load kept; empty when there were none.
  const std::vector<FailedRequest>& violations() const;
};

// The sum of the series' counts (not load.totals): requests, errors, violations, checks.
Tally series_sum(const std::vector<Sample>& series);

// The instances' concurrency model the run's lab set (SCALELAB_APP_MODEL in its
// cluster's app_env), "pool" when it set none.
std::string app_model(const Journal& run);

// The demo's combined document: the runs of one lesson side by side and a line on each.
struct Demo {
  std::string topic;        // `scalelab demo TOPIC`: "state", "autoscaling"; "" in older documents
  std::string description;  // what differs between the runs, for the report's introduction
  std::string started_at;
  std::optional<double> duration_s;
  std::vector<Journal> runs;
  std::map<std::string, std::string> conclusions;  // by run label
};

// The check kind a violation kind is a rate of (session_lost -> session), or "".
std::string check_kind_of(const std::string& violation_kind);

// The violation kinds the load generator classifies, in its order (lab/load/README.md).
const std::vector<std::string>& known_violation_kinds();

// The check kinds, each once, in the load generator's order.
const std::vector<std::string>& known_check_kinds();

// `kinds` in a stable reading order: the known kinds in their order, then the others
// alphabetically.
std::vector<std::string> in_reading_order(std::set<std::string> kinds);

// The violation kinds a table of runs shows, in reading order: those some run judged
// (it counted a check of the kind's check kind) or found. A lesson that never checks
// out shows no order rows; one that checks only orders shows no session rows.
// `Run` is anything with `violations` and `checks` Counts (Tally, Totals).
template <class Run>
std::vector<std::string> judged_violation_kinds(const std::vector<Run>& runs) {
  std::set<std::string> kinds;
  for (const Run& r : runs) {
    for (const auto& [kind, n] : r.violations)
      if (n > 0) kinds.insert(kind);
    for (const std::string& kind : known_violation_kinds())
      if (count_of(r.checks, check_kind_of(kind)) > 0) kinds.insert(kind);
  }
  return in_reading_order(std::move(kinds));
}

}  // namespace scalelab::journal
