// Whether a finished load run passed, in the style of k6 thresholds. By default a run
// fails when it found any violation or any failed request; --allow-violations and
// --allow-failures (parsed here) say how much of either is expected, per violation kind
// or for failed requests, as a count or as a percentage. judge() turns a LoadResult and
// those thresholds into a Verdict: the thresholds the run crossed, one line each, and
// the exit code `scalelab load` leaves with. It lives in the library, not in the CLI,
// so tests and other front ends judge a run the same way.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lab/load/results.hpp"

namespace scalelab::load {

// The exit codes of `scalelab load` beyond the shared ones (0 done, 1 the target never
// answered, 2 usage error). When a run crossed both kinds of threshold, violations win:
// a wrong answer is the more important finding than a missing one.
inline constexpr int kExitViolations = 3;      // a violation kind crossed its threshold
inline constexpr int kExitFailedRequests = 4;  // failed requests crossed theirs (and no violation kind did)

// How many of something a run may see: up to `value` of them, or, when `percent`, up
// to `value` percent of the whole they are part of. The default allows none.
struct Allowance {
  double value = 0;
  bool percent = false;

  // More than allowed: `count` above `value`, or above `value` % of `whole`. A share of
  // nothing is 0 % when nothing happened and 100 % otherwise.
  bool exceeded_by(std::uint64_t count, std::uint64_t whole) const;
  std::string to_string() const;  // "10", "2.5%", "any"
  static Allowance any();         // no number is too many
  bool operator==(const Allowance&) const = default;
};

// "10" (a count) or "2.5%" (a percentage, 0 to 100). Throws std::invalid_argument.
Allowance parse_allowance(std::string_view text);

// What --allow-violations says: every kind allowed, or an Allowance per kind (a kind it
// does not name allows none).
struct ViolationAllowances {
  bool all = false;
  std::array<Allowance, static_cast<std::size_t>(Violation::count)> per_kind{};
  const Allowance& of(Violation v) const { return per_kind[static_cast<std::size_t>(v)]; }
};

// "" or "all": every violation is allowed; "none": none is; else a comma-separated list
// of kinds as the classifier names them, each `kind=COUNT`, `kind=PERCENT%` (of that
// kind's checks) or a bare `kind` (any number). Throws std::invalid_argument with a
// one-line message naming the bad part.
ViolationAllowances parse_allowed_violations(std::string_view text);
// A count or a percentage of requests (parse_allowance), for --allow-failures.
Allowance parse_allowed_failures(std::string_view text);

struct Thresholds {
  ViolationAllowances violations;  // default: none allowed
  Allowance failures;              // failed requests (Tally::failed()); default: none allowed
};

// One threshold a run crossed.
struct CrossedThreshold {
  std::string name;    // a violation kind ("session_lost"), or "failed" for failed requests
  std::uint64_t count = 0;
  std::uint64_t whole = 0;  // the checks of that kind, or the requests
  std::string whole_name;   // "session checks", "requests"
  Allowance allowed;
  // "session_lost: 12 of 40 session checks (30.00 %), allowed 10%"
  std::string line() const;
};

struct Verdict {
  int exit_code = 0;
  std::vector<CrossedThreshold> crossed;  // violation kinds in classifier order, then "failed"
  // "exit 0: no threshold crossed", "exit 3: violations over their thresholds", ...
  std::string headline() const;
  // The headline and every crossed threshold, on one line separated by "; ".
  std::string line() const;
};

// The verdict on `result`: 1 when the target never answered (whatever the thresholds),
// else kExitViolations when a violation kind crossed its threshold, else
// kExitFailedRequests when failed requests crossed theirs, else 0. The same rules
// apply to a run stopped early: it is judged on what it measured.
Verdict judge(const LoadResult& result, const Thresholds& thresholds);

// {"exit_code": 3, "crossed": [{"name": "session_lost", "count": 12, "of": 40,
//  "allowed": "10%", "line": "session_lost: ..."}]}
void to_json(nlohmann::json& j, const Verdict& verdict);

}  // namespace scalelab::load
