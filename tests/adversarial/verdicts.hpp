// Shared by the adversarial cases: running one case against every proxy, and the
// words the conformance table uses for what happened.
#pragma once

#include <functional>
#include <string>

#include "tests/adversarial/conformance.hpp"
#include "tests/adversarial/hostile_backend.hpp"
#include "tests/adversarial/proxies.hpp"
#include "tests/adversarial/raw_client.hpp"

namespace scalelab::adversarial {

// A proxy grows by more than this under one attack: unsafe (an unbounded buffer).
inline constexpr long kMaxGrowthKib = 64 * 1024;

// "400 in 0.01 s", "200 (5 bytes) in 1.20 s", "closed without an answer after 0.10 s",
// "no answer in 6.0 s".
std::string describe(const Exchange& ex);

struct CaseResult {
  Outcome outcome;
  int status = 0;     // the first status the attacking client saw (0: none)
  bool exact = true;  // it did what the RFC asks, not only something safe (pinned for scalelab-balancer)
};

// Runs `attack` against each installed proxy, each in front of a fresh HostileBackend,
// records the outcomes for the table, and returns scalelab-balancer's. The attack gets
// the proxy's port, the backend, and the proxy's pid (for memory readings). A missing
// anchor is recorded as skipped; scalelab-balancer is never missing.
// `log` says where each proxy writes its access log: where it always does, or into a
// pipe whose reader stops reading (testkit::StalledLogReader), made fresh per proxy.
using Attack = std::function<CaseResult(std::uint16_t port, HostileBackend& backend, pid_t proxy)>;
enum class AccessLog { as_usual, stalled_reader };
CaseResult run_everywhere(const std::string& group, const std::string& name, const std::string& tries,
                          const Attack& attack, AccessLog log = AccessLog::as_usual);

}  // namespace scalelab::adversarial
