#include "tests/adversarial/verdicts.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>

#include "tests/support/proc_stats.hpp"
#include "tests/support/stalled_log.hpp"

namespace scalelab::adversarial {

std::string describe(const Exchange& ex) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f s", ex.seconds);
  if (!ex.responses.empty()) {
    const Response& r = ex.responses.front();
    std::string what = std::to_string(r.status);
    if (r.status < 300 && !r.body.empty()) what += " (" + std::to_string(r.body.size()) + " bytes)";
    if (ex.responses.size() > 1) what += " and " + std::to_string(ex.responses.size() - 1) + " more";
    return what + " in " + secs;
  }
  if (ex.timed_out) return std::string("no answer in ") + secs;
  if (!ex.bytes.empty()) return std::string("cut off after ") + std::to_string(ex.bytes.size()) + " bytes, " + secs;
  return std::string("closed without an answer after ") + secs;
}

CaseResult run_everywhere(const std::string& group, const std::string& name, const std::string& tries,
                          const Attack& attack, AccessLog log) {
  CaseResult ours;
  for (const ProxyKind kind : all_proxies()) {
    if (const auto why = missing(kind)) {
      record_skipped(group, name, tries, kind, *why);
      if (kind == ProxyKind::scalelab) ADD_FAILURE() << *why;
      continue;
    }
    HostileBackend backend;
    std::optional<testkit::StalledLogReader> stalled;
    if (log == AccessLog::stalled_reader) stalled.emplace();
    Proxy proxy(kind, backend.port(), stalled ? stalled->path() : std::string());
    const long before = testkit::peak_rss_kib(proxy.pid());
    CaseResult result = attack(proxy.port(), backend, proxy.pid());
    const long growth = testkit::peak_rss_kib(proxy.pid()) - before;
    if (growth >= 4096) result.outcome.what += "; memory +" + std::to_string(growth / 1024) + " MiB";
    if (growth > kMaxGrowthKib) result.outcome.safe = false;
    record(group, name, tries, kind, result.outcome);
    if (kind == ProxyKind::scalelab) {
      ours = result;
      if (!result.outcome.safe) ADD_FAILURE() << "scalelab-balancer, " << name << ": " << result.outcome.what
                                             << "\n--- its log:\n" << proxy.log();
    }
  }
  return ours;
}

}  // namespace scalelab::adversarial
