// What a load run produces, as a contract other code depends on. A Sample is one second
// of a run; a LoadResult is the whole run with its per-second series. The experiment
// runner embeds both in its journal and the HTML report draws charts from them, so
// their JSON shape is documented in lab/load/README.md and pinned by
// tests/load/json_shape_test.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/load/histogram.hpp"
#include "lab/load/load_config.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

// Latency percentiles in milliseconds (0 when nothing was answered). Transport errors
// have no latency; every HTTP response, whatever its status, has one. In open loop it
// is measured from the intended send time.
struct LatencySummary {
  std::uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
  static LatencySummary of(const Histogram& h);
};

// Responses per X-Instance value ("" when the header was absent), in first-seen order.
using InstanceCounts = std::vector<std::pair<std::string, std::uint64_t>>;
void add_instance(InstanceCounts& counts, std::string_view instance, std::uint64_t n = 1);

// One failed request (a 5xx answer or a transport error), kept so a run that fails
// says what failed, where and when. A run keeps the first kFailuresKept of them.
struct FailedRequest {
  double t_s = 0;  // when it was sent, seconds from the start of the run
  std::string method;
  std::string target;
  int status = 0;                        // 0 for a transport error
  Transport transport = Transport::none;  // none for a 5xx answer
  std::string error;                     // the body's "error" code; "" when not the JSON error shape
  std::string detail;                    // the body's "detail" (or its first bytes when not JSON)
  std::string instance;                  // X-Instance; "" when the balancer answered itself
  std::string request_id;                // X-Request-Id, to find the request in the lab's logs

  // From a response that failed: reads the error code and detail out of its body.
  static FailedRequest of(double t_s, std::string_view method, std::string_view target, const Response& r);
};
inline constexpr std::size_t kFailuresKept = 20;
// Appends from `more` while fewer than kFailuresKept are kept.
void keep_failures(std::vector<FailedRequest>& kept, const std::vector<FailedRequest>& more);

// A violation is kept the same way, with the request whose answer showed it: `error`
// is the violation's name (upload_corrupt, session_lost...), `detail` what the answer
// contradicted. A run keeps the first kViolationsKeptPerKind of each kind, so a rare
// kind is not crowded out by a common one.
inline constexpr std::size_t kViolationsKeptPerKind = 3;
// Appends from `more` those whose kind has fewer than kViolationsKeptPerKind kept.
void keep_violations(std::vector<FailedRequest>& kept, const std::vector<FailedRequest>& more);

struct Sample {
  unsigned t = 0;         // 1-based index of this second
  double elapsed_s = 0;   // from the start of the run to the end of this sample
  double interval_s = 0;  // 1.0, except for the last, partial sample
  Tally counts;
  LatencySummary latency;
  LatencySummary cold_starts;  // this second's responses that waited for an instance to start
  InstanceCounts instances;
  // Open loop: the requests per second the schedule asked for in this sample (its mean
  // over the interval), to set beside rps; absent in closed loop.
  std::optional<double> scheduled_rps;
  double rps() const { return interval_s > 0 ? static_cast<double>(counts.requests) / interval_s : 0; }
};

struct LoadResult {
  LoadConfig config;
  std::string started_at;  // RFC 3339 UTC
  double duration_s = 0;
  std::string stop_reason;       // "duration", "max_requests", "stopped" (stop token), "finished"
  bool target_answered = false;  // at least one HTTP response arrived
  Tally totals;
  LatencySummary latency;
  // Responses that waited for an instance to start (the balancer's
  // X-Scalelab-Cold-Start-Ms): how many, and the wait's percentiles.
  LatencySummary cold_starts;
  InstanceCounts instances;
  std::vector<Sample> samples;
  std::vector<FailedRequest> failures;  // the first kFailuresKept, in the order they were seen
  std::vector<FailedRequest> violations;  // the first of each kind (keep_violations), in time order
  // The stock audit (stock_audit.hpp) of a run whose mix checks out: one entry per item
  // of 1..checkout_items; empty otherwise. Its checks and violations are in `totals`
  // and in the last sample.
  nlohmann::json stock = nlohmann::json::array();
  double rps() const { return duration_s > 0 ? static_cast<double>(totals.requests) / duration_s : 0; }
};

void to_json(nlohmann::json& j, const LatencySummary& l);
void to_json(nlohmann::json& j, const FailedRequest& f);
void to_json(nlohmann::json& j, const Sample& s);
void to_json(nlohmann::json& j, const LoadResult& r);

}  // namespace scalelab::load
