// Probes measured over synthetic per-second samples, window by window.
#include <gtest/gtest.h>

#include <cmath>

#include "lab/experiment/hypothesis.hpp"

using namespace scalelab::experiment;
using scalelab::journal::ProbeResult;
using scalelab::journal::Sample;
using nlohmann::json;

namespace {

// Ten seconds of load: 100 requests a second, 2 failures and 5 lost sessions (of 40
// session checks) a second from t=6 on, p99 10 ms, then 200 ms in the last second.
std::vector<Sample> samples() {
  std::vector<Sample> out;
  for (unsigned t = 1; t <= 10; ++t) {
    const bool broken = t > 5;
    Sample s;
    s.t = t;
    s.elapsed_s = t;
    s.interval_s = 1.0;
    s.counts.requests = t > 7 ? 300 : 100;
    s.counts.errors = broken ? 2 : 0;
    s.counts.status = {{"2xx", 95}, {"5xx", broken ? 2 : 0}, {"503", broken ? 2 : 0}};
    s.counts.violations = {{"session_lost", broken ? 5 : 0}, {"stale_read", 0}};
    s.counts.checks = {{"session", 40}, {"item", 10}};
    s.latency.p50 = 1.0;
    s.latency.p99 = t == 10 ? 200.0 : 10.0;
    out.push_back(s);
  }
  return out;
}

// What a probe measured, as a number (a yes/no as 1/0); NaN when it measured nothing.
double value_of(const ProbeResult& r) {
  if (const auto* v = std::get_if<double>(&r.value)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&r.value)) return static_cast<double>(*v);
  if (const auto* v = std::get_if<bool>(&r.value)) return *v ? 1 : 0;
  return std::nan("");
}

ProbeSpec probe(std::string type, Tolerance t, std::string window = "whole") {
  ProbeSpec p;
  p.name = type;
  p.type = std::move(type);
  p.tolerance = t;
  p.window = std::move(window);
  return p;
}

Timeline at_end() { return Timeline{10.0, 5.0, 7.0}; }

}  // namespace

TEST(Hypothesis, ViolationCountsAndRates) {
  auto p = probe("violations", {.max = 0});
  p.kind = "session_lost";
  auto r = evaluate_probe(p, samples(), at_end(), nullptr);
  EXPECT_EQ(std::get<double>(r.value), 25) << "written as 25.0";
  EXPECT_EQ(r.kind, "session_lost");
  EXPECT_FALSE(*r.met);
  EXPECT_EQ(r.detail, "25 session_lost in 400 checks (6.2 %)");
  p.rate = true;
  p.tolerance = {.max = 0.1};
  r = evaluate_probe(p, samples(), at_end(), nullptr);
  EXPECT_DOUBLE_EQ(value_of(r), 25.0 / 400);
  EXPECT_TRUE(*r.met);
  p.window = "before";
  p.tolerance = {.max = 0};
  EXPECT_TRUE(*evaluate_probe(p, samples(), at_end(), nullptr).met) << "nothing was lost before the first action";
}

TEST(Hypothesis, AnyViolationCountsEveryKindAgainstEveryCheck) {
  auto p = probe("violations", {.max = 0});
  p.kind = "any";
  auto r = evaluate_probe(p, samples(), at_end(), nullptr);
  EXPECT_EQ(value_of(r), 25);
  EXPECT_EQ(r.detail, "25 violations in 500 checks (5.0 %)");
}

TEST(Hypothesis, ErrorRateLatencyThroughputStatus) {
  auto e = evaluate_probe(probe("error_rate", {.max = 0.01}), samples(), at_end(), nullptr);
  EXPECT_DOUBLE_EQ(value_of(e), 10.0 / 1600);
  EXPECT_TRUE(*e.met);
  auto l = probe("latency", {.max = 100});
  EXPECT_EQ(value_of(evaluate_probe(l, samples(), at_end(), nullptr)), 200.0) << "the worst second";
  l.window = "before";
  EXPECT_TRUE(*evaluate_probe(l, samples(), at_end(), nullptr).met);
  EXPECT_EQ(value_of(evaluate_probe(probe("throughput", {.min = 100}), samples(), at_end(), nullptr)), 160.0);
  auto s = probe("status", {.max = 0});
  s.status = "503";
  EXPECT_EQ(value_of(evaluate_probe(s, samples(), at_end(), nullptr)), 10);
}

TEST(Hypothesis, AfterMethodWindowStartsTwoSecondsAfterTheLastAction) {
  auto s = probe("status", {.max = 0}, "after_method");
  s.status = "503";
  EXPECT_EQ(value_of(evaluate_probe(s, samples(), at_end(), nullptr)), 2) << "only the last second, from 9 s";
}

TEST(Hypothesis, ThroughputGrowthIsMeasuredAfterTheMethodOnly) {
  auto g = probe("throughput_growth", {.min = 2});
  auto r = evaluate_probe(g, samples(), at_end(), nullptr);
  EXPECT_DOUBLE_EQ(value_of(r), 3.0);
  EXPECT_TRUE(*r.met);
  auto early = evaluate_probe(g, samples(), Timeline{5.0, 5.0, 7.0}, nullptr);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(early.value));
  EXPECT_TRUE(*early.met);
  EXPECT_EQ(early.detail, "measured after the method");
}

TEST(Hypothesis, CeilingIsThroughputOverTheSecondsCeilings) {
  auto with_ceiling = samples();
  for (auto& s : with_ceiling) s.ceiling = scalelab::journal::Ceiling{400, "instances", 2};
  with_ceiling[0].ceiling.reset();  // a second without one is left out
  auto p = probe("ceiling", {.min = 0.8}, "after_method");
  auto r = evaluate_probe(p, with_ceiling, at_end(), nullptr);
  // From t=10 - 1 on: 300 requests, 2 of them failed, against 400. A failed request
  // used none of the capacity the ceiling counts.
  EXPECT_DOUBLE_EQ(value_of(r), 298.0 / 400) << r.detail;
  EXPECT_FALSE(*r.met);
  EXPECT_EQ(r.detail, "298 requests/s against a ceiling of 400: 74 %");
  auto whole = evaluate_probe(probe("ceiling", {.min = 0.1}), with_ceiling, at_end(), nullptr);
  EXPECT_NEAR(value_of(whole), (4 * 100 + 2 * 98 + 3 * 298) / (9 * 400.0), 1e-9) << "nine seconds have a ceiling";
  auto none = evaluate_probe(probe("ceiling", {.min = 0.8}), samples(), at_end(), nullptr);
  EXPECT_DOUBLE_EQ(value_of(none), 0);
  EXPECT_EQ(none.detail, "no second of the window has a ceiling (only a `work` mix has one)");
}

TEST(Hypothesis, ReadyReadsTheLabStatus) {
  json status{{"components",
               {{{"kind", "app"}, {"state", "ready"}}, {{"kind", "app"}, {"state", "killed"}}, {{"kind", "redis"}, {"state", "ready"}}}}};
  auto r = evaluate_probe(probe("ready", {.equals = true}), samples(), at_end(), status);
  EXPECT_EQ(std::get<bool>(r.value), false);
  EXPECT_FALSE(*r.met);
  EXPECT_EQ(r.detail, "1 of 2 instances ready");
  EXPECT_FALSE(*evaluate_probe(probe("ready", {.equals = true}), samples(), at_end(), nullptr).met) << "no lab: not ready";
}

TEST(Hypothesis, EmptyWindowsAndTheWholeHypothesis) {
  auto r = evaluate_probe(probe("error_rate", {.max = 0}), {}, at_end(), nullptr);
  EXPECT_EQ(r.detail, "no load samples in the window");
  EXPECT_EQ(std::get<std::int64_t>(r.value), 0) << "written as 0, not 0.0";
  EXPECT_TRUE(*r.met);
  auto h = evaluate_hypothesis({probe("error_rate", {.max = 0.01}), probe("throughput", {.min = 1000})}, samples(),
                               at_end(), nullptr);
  EXPECT_FALSE(*h.met);
  EXPECT_EQ(h.probes.size(), 2u);
}
