// The autoscaler's decisions (lab/supervisor/autoscaler.hpp) against the Kubernetes HPA's
// documented behaviour: the ratio and its tolerance, the rounding, the stabilization
// windows, the rate policies, unready and silent instances, min/max and scaling to zero;
// and the spellings of its policy. No test sleeps: every time point is passed in.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lab/supervisor/autoscaler.hpp"

using namespace scalelab;
using namespace std::chrono_literals;
using lab::Limit;

namespace {

const lab::Clock::time_point sync0 = lab::Clock::time_point{} + 1h;

lab::AutoscalePolicy parsed(std::string_view spelling) { return lab::parse_autoscale_policy(spelling); }

// `n` instances, all ready, each reporting `value`.
lab::Observation all_ready(int n, double value) {
  return {n, n, std::vector<double>(static_cast<std::size_t>(n), value)};
}

// The one decision a fresh autoscaler makes at sync0.
lab::Decision first_decision(std::string_view spelling, const lab::Observation& obs) {
  lab::Autoscaler a(parsed(spelling));
  return a.decide(obs, sync0);
}

// The message parse_autoscale_policy refuses `spelling` with.
std::string spelling_refusal(std::string_view spelling) {
  try {
    lab::parse_autoscale_policy(spelling);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string json_refusal(const nlohmann::json& j) {
  try {
    lab::autoscale_policy_from_json(j);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

// kubernetes.io: at 200m for a target of 100m the count doubles; at 50m it halves.
TEST(Autoscaler, DoublesAtTwiceTheTargetAndHalvesAtHalfIt) {
  const auto up = first_decision("max=20,target=100", all_ready(4, 200));
  EXPECT_EQ(up.raw_desired, 8);
  EXPECT_EQ(up.desired, 8);
  EXPECT_DOUBLE_EQ(up.ratio, 2.0);
  EXPECT_EQ(up.limited_by, Limit::none);
  EXPECT_TRUE(up.changes());

  const auto down = first_decision("max=20,target=100,window=0s", all_ready(4, 50));
  EXPECT_EQ(down.desired, 2);
  EXPECT_EQ(down.limited_by, Limit::none);
}

TEST(Autoscaler, ARatioWithinToleranceKeepsTheCount) {
  for (double value : {105.0, 110.0, 90.0, 95.0, 100.0}) {  // the band's edges included
    const auto d = first_decision("max=20,target=100,window=0s", all_ready(5, value));
    EXPECT_EQ(d.desired, 5) << value;
    EXPECT_EQ(d.raw_desired, 5) << value;
    EXPECT_EQ(d.limited_by, Limit::tolerance) << value;
    EXPECT_FALSE(d.changes()) << value;
  }
  const auto up = first_decision("max=20,target=100", all_ready(5, 120));
  EXPECT_EQ(up.desired, 6);  // 5 × 1.2, exactly: not 7 from floating-point error
  EXPECT_EQ(up.limited_by, Limit::none);

  const auto narrow = first_decision("max=20,target=100,tolerance=0", all_ready(5, 105));
  EXPECT_EQ(narrow.desired, 6);
}

TEST(Autoscaler, TheRawCountRoundsUp) {
  EXPECT_EQ(first_decision("max=20,target=100", all_ready(3, 130)).raw_desired, 4);              // 3.9
  EXPECT_EQ(first_decision("max=20,target=100", all_ready(3, 140)).raw_desired, 5);              // 4.2
  EXPECT_EQ(first_decision("max=20,target=100,window=0s", all_ready(4, 70)).raw_desired, 3);     // 2.8
  EXPECT_EQ(first_decision("max=20,target=100,window=0s", all_ready(10, 21)).raw_desired, 3);    // 2.1
  EXPECT_EQ(first_decision("max=20,target=100,window=0s", all_ready(10, 30)).raw_desired, 3);    // 3.0
}

TEST(Autoscaler, TheCountStaysWithinMinAndMax) {
  const auto high = first_decision("min=2,max=6,target=100", all_ready(4, 1000));
  EXPECT_EQ(high.raw_desired, 40);
  EXPECT_EQ(high.desired, 6);
  EXPECT_EQ(high.limited_by, Limit::max);
  EXPECT_EQ(high.limit_detail, "max 6");

  const auto low = first_decision("min=2,max=6,target=100,window=0s", all_ready(4, 10));
  EXPECT_EQ(low.raw_desired, 1);
  EXPECT_EQ(low.desired, 2);
  EXPECT_EQ(low.limited_by, Limit::min);

  // A count outside the range goes back in it even when the metric is on target.
  EXPECT_EQ(first_decision("min=2,max=6,target=100", all_ready(8, 100)).desired, 6);
  EXPECT_EQ(first_decision("min=2,max=6,target=100", all_ready(1, 100)).desired, 2);
}

TEST(Autoscaler, ScaleDownWaitsOutItsWindow) {
  lab::Autoscaler a(parsed("max=8,target=100,window=30s"));
  EXPECT_EQ(a.decide(all_ready(4, 100), sync0).desired, 4);
  for (auto at : {5s, 10s, 20s, 29s}) {
    const auto d = a.decide(all_ready(4, 25), sync0 + at);
    EXPECT_EQ(d.raw_desired, 1);
    EXPECT_EQ(d.stabilized_desired, 4);
    EXPECT_EQ(d.desired, 4);
    EXPECT_EQ(d.limited_by, Limit::stabilization_window);
    EXPECT_EQ(d.limit_detail, "scale_down window 30s: highest recommendation 4");
  }
  // The recommendation of 4 was made at sync0: exactly 30 s later it is out of the window.
  const auto d = a.decide(all_ready(4, 25), sync0 + 30s);
  EXPECT_EQ(d.desired, 1);
  EXPECT_EQ(d.limited_by, Limit::none);
}

TEST(Autoscaler, TheFirstDecisionDoesNotScaleDownAtOnce) {
  // Like Kubernetes, a new autoscaler counts the current count as a recommendation.
  const auto d = first_decision("max=8,target=100", all_ready(4, 10));
  EXPECT_EQ(d.raw_desired, 1);
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.limited_by, Limit::stabilization_window);
}

TEST(Autoscaler, TheScaleDownWindowStopsFlapping) {
  // Load that swings between the target and half of it, every sync.
  const auto changes = [](std::string_view spelling) {
    lab::Autoscaler a(parsed(spelling));
    int current = 4, count = 0;
    for (int sync = 0; sync < 12; ++sync) {
      const auto now = sync0 + sync * 5s;
      // The same load, spread over however many instances run now.
      const double per_instance = (sync % 2 == 0 ? 400.0 : 200.0) / current;
      const auto d = a.decide(all_ready(current, per_instance), now);
      if (d.changes()) {
        a.record_scale(current, d.desired, now);
        current = d.desired;
        ++count;
      }
    }
    return count;
  };
  EXPECT_EQ(changes("max=8,target=100,window=30s"), 0);
  EXPECT_GE(changes("max=8,target=100,window=0s"), 10);  // without it: down, up, down...
}

TEST(Autoscaler, ScaleUpIsImmediateUnlessItHasAWindow) {
  EXPECT_EQ(first_decision("max=8,target=100", all_ready(2, 200)).desired, 4);

  lab::Autoscaler a(parsed("max=8,target=100,up-window=30s"));
  EXPECT_EQ(a.decide(all_ready(2, 100), sync0).desired, 2);
  const auto held = a.decide(all_ready(2, 200), sync0 + 5s);
  EXPECT_EQ(held.raw_desired, 4);
  EXPECT_EQ(held.desired, 2);
  EXPECT_EQ(held.limited_by, Limit::stabilization_window);
  EXPECT_EQ(held.limit_detail, "scale_up window 30s: lowest recommendation 2");
  // Once every recommendation in the window asks for more, it scales up.
  EXPECT_EQ(a.decide(all_ready(2, 200), sync0 + 29s).desired, 2);
  EXPECT_EQ(a.decide(all_ready(2, 200), sync0 + 30s).desired, 4);  // the 2 of sync0 just left it
}

// Kubernetes' default scale up: the larger of 4 pods and 100 percent per 15 s.
TEST(Autoscaler, ScaleUpTakesTheLargerOfFourPodsAndDoubling) {
  const auto from_one = first_decision("max=50,target=100", all_ready(1, 2000));
  EXPECT_EQ(from_one.raw_desired, 20);
  EXPECT_EQ(from_one.desired, 5);  // max(1 + 4, 1 × 2)
  EXPECT_EQ(from_one.limited_by, Limit::policy);
  EXPECT_EQ(from_one.limit_detail, "scale_up pods 4 per 15s");

  const auto from_ten = first_decision("max=50,target=100", all_ready(10, 1000));
  EXPECT_EQ(from_ten.desired, 20);  // max(10 + 4, 10 × 2)
  EXPECT_EQ(from_ten.limit_detail, "scale_up percent 100 per 15s");
}

TEST(Autoscaler, SelectPolicyMinTakesTheSmallerChange) {
  auto p = parsed("max=50,target=100");
  p.scale_up.select = lab::SelectPolicy::min;
  p.scale_down = {{{lab::ScalingPolicyType::pods, 2, 60s}, {lab::ScalingPolicyType::percent, 50, 60s}},
                  lab::SelectPolicy::min, 0s};
  lab::Autoscaler a(p);
  EXPECT_EQ(a.decide(all_ready(1, 2000), sync0).desired, 2);  // min(1 + 4, 1 × 2)
  lab::Autoscaler b(p);
  const auto up = b.decide(all_ready(10, 1000), sync0);
  EXPECT_EQ(up.desired, 14);  // min(10 + 4, 10 × 2)
  EXPECT_EQ(up.limit_detail, "scale_up pods 4 per 15s");
  lab::Autoscaler c(p);
  const auto down = c.decide(all_ready(10, 10), sync0);
  EXPECT_EQ(down.desired, 8);  // the smaller change of 10 - 2 and 10 × 0.5
  EXPECT_EQ(down.limit_detail, "scale_down pods 2 per 1m");
}

TEST(Autoscaler, SelectPolicyDisabledForbidsItsDirection) {
  auto p = parsed("min=1,max=6,target=100,window=0s");
  p.scale_up.select = lab::SelectPolicy::disabled;
  p.scale_down.select = lab::SelectPolicy::disabled;
  lab::Autoscaler a(p);
  const auto up = a.decide(all_ready(2, 1000), sync0);
  EXPECT_EQ(up.desired, 2);
  EXPECT_EQ(up.limited_by, Limit::policy);
  EXPECT_EQ(up.limit_detail, "scale_up disabled");
  const auto down = a.decide(all_ready(4, 10), sync0 + 5s);
  EXPECT_EQ(down.desired, 4);
  EXPECT_EQ(down.limit_detail, "scale_down disabled");
  // max still holds: a count above it comes down.
  EXPECT_EQ(a.decide(all_ready(8, 10), sync0 + 10s).desired, 6);
}

TEST(Autoscaler, ScalesMadeInAPeriodCountAgainstIt) {
  lab::Autoscaler a(parsed("max=50,target=100"));
  const auto first = a.decide(all_ready(2, 1000), sync0);
  EXPECT_EQ(first.desired, 6);  // max(2 + 4, 2 × 2)
  a.record_scale(2, 6, sync0);
  // Within 15 s the period still starts from 2: nothing more is allowed.
  for (auto at : {5s, 10s, 14s}) {
    const auto d = a.decide(all_ready(6, 1000), sync0 + at);
    EXPECT_EQ(d.desired, 6) << at.count();
    EXPECT_EQ(d.limited_by, Limit::policy);
  }
  const auto later = a.decide(all_ready(6, 1000), sync0 + 15s);
  EXPECT_EQ(later.desired, 12);  // max(6 + 4, 6 × 2), the scale at sync0 out of the period
  a.record_scale(6, 12, sync0 + 15s);
  // A scale down in the period counts too: at 10 now, after 6 added and 2 removed, the
  // period began at 6, so doubling to 12 is still the most.
  a.record_scale(12, 10, sync0 + 20s);
  EXPECT_EQ(a.decide(all_ready(10, 1000), sync0 + 25s).desired, 12);
}

// kubernetes.io's scale-down example: a percentage of the count rounds the change up,
// and the pods policy wins once it allows more.
TEST(Autoscaler, ScaleDownPercentRoundsTheChangeUp) {
  auto p = parsed("min=1,max=50,target=100,window=0s");
  p.scale_down.policies = {{lab::ScalingPolicyType::pods, 2, 60s}, {lab::ScalingPolicyType::percent, 10, 60s}};
  lab::Autoscaler a(p);
  auto now = sync0;
  int current = 50;
  const auto step = [&] {
    const auto d = a.decide(all_ready(current, 1), now);
    a.record_scale(current, d.desired, now);
    current = d.desired;
    now += 60s;
    return d;
  };
  EXPECT_EQ(step().desired, 45);  // 5 of 50 (10 %) beats 2
  const auto second = step();
  EXPECT_EQ(second.desired, 40);  // 10 % of 45 is 4.5: 5 go
  EXPECT_EQ(second.limit_detail, "scale_down percent 10 per 1m");
  current = 10;
  const auto small = step();
  EXPECT_EQ(small.desired, 8);  // 2 pods beat 10 % (1)
  EXPECT_EQ(small.limit_detail, "scale_down pods 2 per 1m");
}

TEST(Autoscaler, UnreadyInstancesCountAsIdleWhenScalingUp) {
  // 2 of 4 ready at 150: ratio 1.5, but with the 2 starting at 0 it is 0.75 and the
  // direction reverses, so nothing changes.
  const auto reversed = first_decision("max=20,target=100", {4, 2, {150, 150}});
  EXPECT_DOUBLE_EQ(reversed.ratio, 1.5);
  EXPECT_DOUBLE_EQ(reversed.adjusted_ratio, 0.75);
  EXPECT_EQ(reversed.desired, 4);
  EXPECT_EQ(reversed.limited_by, Limit::tolerance);

  // 2 of 3 ready at 300: with the third at 0 the ratio is 2; 600 / 100 needs 6.
  const auto up = first_decision("max=20,target=100", {3, 2, {300, 300}});
  EXPECT_DOUBLE_EQ(up.adjusted_ratio, 2.0);
  EXPECT_EQ(up.desired, 6);

  // Within tolerance once the unready count: 2 of 3 at 160 is 320 over 3 (1.07).
  EXPECT_EQ(first_decision("max=20,target=100", {3, 2, {160, 160}}).desired, 3);
}

TEST(Autoscaler, UnreadyInstancesAreIgnoredWhenScalingDown) {
  const auto d = first_decision("max=20,target=100,window=0s", {4, 2, {20, 20}});
  EXPECT_DOUBLE_EQ(d.adjusted_ratio, 0.2);
  EXPECT_EQ(d.raw_desired, 1);  // ceil(2 × 0.2)
  EXPECT_EQ(d.desired, 1);
}

TEST(Autoscaler, SilentInstancesCountAtTheTargetDownAndAtZeroUp) {
  // 3 ready, 2 reported 30: the silent one at 100 makes 160 / 300.
  const auto down = first_decision("max=20,target=100,window=0s", {3, 3, {30, 30}});
  EXPECT_EQ(down.reporting, 2);
  EXPECT_NEAR(down.adjusted_ratio, 160.0 / 300, 1e-12);
  EXPECT_EQ(down.desired, 2);
  // 3 ready, 2 reported 300: the silent one at 0 makes 600 / 300.
  const auto up = first_decision("max=20,target=100", {3, 3, {300, 300}});
  EXPECT_DOUBLE_EQ(up.adjusted_ratio, 2.0);
  EXPECT_EQ(up.desired, 6);
}

TEST(Autoscaler, WithNothingToMeasureTheCountIsKept) {
  const auto starting = first_decision("max=8,target=100", {3, 0, {}});
  EXPECT_EQ(starting.desired, 3);
  EXPECT_EQ(starting.limited_by, Limit::no_ready_instances);
  const auto silent = first_decision("max=8,target=100", {3, 2, {}});
  EXPECT_EQ(silent.desired, 3);
  EXPECT_EQ(silent.limited_by, Limit::no_metrics);
  // ...but still within min and max.
  EXPECT_EQ(first_decision("min=2,max=8,target=100", {1, 0, {}}).desired, 2);
}

TEST(Autoscaler, MinZeroScalesToAndFromZero) {
  EXPECT_EQ(first_decision("min=0,max=8,target=100", {0, 0, {}}).desired, 0);
  EXPECT_EQ(first_decision("min=0,max=8,target=100", {0, 0, {0}}).desired, 0);
  const auto woken = first_decision("min=0,max=8,target=100", {0, 0, {5}});
  EXPECT_EQ(woken.raw_desired, 1);
  EXPECT_EQ(woken.desired, 1);
  EXPECT_TRUE(woken.changes());
  // A percentage of nothing is nothing, but from zero the first instance is allowed.
  auto p = parsed("min=0,max=8,target=100");
  p.scale_up = {{{lab::ScalingPolicyType::percent, 100, 15s}}, lab::SelectPolicy::max, 0s};
  EXPECT_EQ(lab::Autoscaler(p).decide({0, 0, {5}}, sync0).desired, 1);
  // Idle instances go all the way down to zero, once idle has passed.
  EXPECT_EQ(first_decision("min=0,max=8,target=100,window=0s,idle=0s", all_ready(2, 0)).desired, 0);
  EXPECT_EQ(first_decision("min=1,max=8,target=100,window=0s,idle=0s", all_ready(2, 0)).desired, 1);
  const auto held = first_decision("min=0,max=8,target=100,window=0s", all_ready(2, 0));
  EXPECT_EQ(held.desired, 1);
  EXPECT_EQ(held.limited_by, Limit::idle);
}

TEST(Autoscaler, TheLastInstanceGoesOnlyAfterIdleWithoutARequest) {
  lab::Autoscaler a(parsed("min=0,max=8,metric=in_flight,target=10,window=0s,idle=10s"));
  auto quiet = all_ready(1, 0);
  quiet.requests_seen = false;
  auto busy_but_sampled_idle = all_ready(1, 0);  // in_flight read 0 between requests
  EXPECT_EQ(a.decide(quiet, sync0).desired, 1);
  EXPECT_EQ(a.decide(busy_but_sampled_idle, sync0 + 8s).desired, 1);  // a request was seen: the clock restarts
  const auto waiting = a.decide(quiet, sync0 + 17s);
  EXPECT_EQ(waiting.desired, 1);
  EXPECT_EQ(waiting.limited_by, Limit::idle);
  EXPECT_NE(waiting.limit_detail.find("idle=10s"), std::string::npos) << waiting.limit_detail;
  const auto gone = a.decide(quiet, sync0 + 18s);
  EXPECT_EQ(gone.desired, 0);
  EXPECT_EQ(gone.limited_by, Limit::none);
  // Two instances, the same: only the last one waits for idle.
  EXPECT_EQ(first_decision("min=0,max=8,target=100,window=0s", all_ready(2, 0)).desired, 1);
}

TEST(Autoscaler, FromZeroInFlightDemandAsksForEnoughInstancesAtOnce) {
  // 25 requests wait at the balancer, 10 per instance wanted: 3 instances, as Knative's
  // autoscaler does from the activator's report. Other metrics know no rate yet: 1.
  const auto d = first_decision("min=0,max=8,metric=in_flight,target=10", {0, 0, {25}});
  EXPECT_EQ(d.raw_desired, 3);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(first_decision("min=0,max=8,metric=rps,target=10", {0, 0, {25}}).desired, 1);
  EXPECT_EQ(first_decision("min=0,max=8,metric=in_flight,target=10", {0, 0, {1}}).desired, 1);
  // The scale-up policy still applies: 4 pods per 15 s from zero.
  EXPECT_EQ(first_decision("min=0,max=8,metric=in_flight,target=1", {0, 0, {50}}).desired, 4);
  // Two instances starting, none ready, 50 requests held: five are needed now.
  EXPECT_EQ(first_decision("min=0,max=8,metric=in_flight,target=10", {2, 0, {50}}).desired, 5);
  // Never fewer than are starting, and without demand the count is kept.
  EXPECT_EQ(first_decision("min=0,max=8,metric=in_flight,target=10", {3, 0, {5}}).desired, 3);
  const auto starting = first_decision("min=0,max=8,metric=in_flight,target=10", {2, 0, {}});
  EXPECT_EQ(starting.desired, 2);
  EXPECT_EQ(starting.limited_by, Limit::no_ready_instances);
  EXPECT_EQ(first_decision("min=0,max=8,metric=rps,target=10", {2, 0, {50}}).limited_by, Limit::no_ready_instances);
  // With starts=1 the two starting already are enough.
  EXPECT_EQ(first_decision("min=0,max=8,metric=in_flight,target=10,starts=1", {2, 0, {50}}).desired, 2);
}

TEST(Autoscaler, StartsCapsTheInstancesStartingAtOnce) {
  const auto capped = first_decision("min=0,max=8,metric=in_flight,target=1,starts=1", {0, 0, {50}});
  EXPECT_EQ(capped.desired, 1);
  EXPECT_EQ(capped.limited_by, Limit::max_starting);
  // Three instances, one still starting, starts=2: one more may start now.
  const auto one_more = first_decision("max=8,target=100,starts=2", {3, 2, {500, 500}});
  EXPECT_EQ(one_more.desired, 4);
  EXPECT_EQ(one_more.limited_by, Limit::max_starting);
  EXPECT_NE(one_more.limit_detail.find("1 starting"), std::string::npos) << one_more.limit_detail;
  // Two starting already: none more.
  EXPECT_EQ(first_decision("max=8,target=100,starts=2", {4, 2, {500, 500}}).desired, 4);
  // No cap (the default): the policy's 4 pods.
  EXPECT_EQ(first_decision("max=8,target=100", {3, 2, {500, 500}}).desired, 7);
}

TEST(Autoscaler, TheDecisionJsonCarriesEveryStep) {
  const auto d = first_decision("max=50,target=100", all_ready(1, 2000));
  const auto j = d.to_json();
  EXPECT_EQ(j.at("current"), 1);
  EXPECT_EQ(j.at("ready"), 1);
  EXPECT_EQ(j.at("reporting"), 1);
  EXPECT_EQ(j.at("metric"), "rps");
  EXPECT_EQ(j.at("metric_mean"), 2000.0);
  EXPECT_EQ(j.at("target"), 100.0);
  EXPECT_EQ(j.at("ratio"), 20.0);
  EXPECT_EQ(j.at("adjusted_ratio"), 20.0);
  EXPECT_EQ(j.at("raw_desired"), 20);
  EXPECT_EQ(j.at("stabilized_desired"), 20);
  EXPECT_EQ(j.at("desired"), 5);
  EXPECT_EQ(j.at("limited_by"), "policy");
  EXPECT_EQ(j.at("limit_detail"), "scale_up pods 4 per 15s");

  const auto blind = first_decision("max=8,target=100", {3, 0, {}}).to_json();
  EXPECT_TRUE(blind.at("metric_mean").is_null());
  EXPECT_TRUE(blind.at("ratio").is_null());
  EXPECT_EQ(blind.at("limited_by"), "no_ready_instances");
}

TEST(Autoscaler, RefusesAnInconsistentObservation) {
  lab::Autoscaler a(parsed("max=8,target=100"));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const lab::Observation& bad : {lab::Observation{2, 3, {}}, lab::Observation{-1, 0, {}},
                                      lab::Observation{2, 1, {1, 2}}, lab::Observation{2, 2, {1, -1}},
                                      lab::Observation{2, 2, {1, nan}}})
    EXPECT_THROW(a.decide(bad, sync0), std::invalid_argument);
  EXPECT_THROW(lab::Autoscaler(lab::AutoscalePolicy{}), std::invalid_argument);  // no target
}

TEST(AutoscalePolicy, TheShortSpellingTakesTheLabDefaults) {
  const auto p = parsed("min=1,max=8,metric=rps,target=200");
  EXPECT_EQ(p.min_replicas, 1);
  EXPECT_EQ(p.max_replicas, 8);
  EXPECT_EQ(p.metric, lab::MetricKind::rps);
  EXPECT_EQ(p.target, 200);
  EXPECT_EQ(p.tolerance, 0.1);
  EXPECT_EQ(p.sync_period, 5s);
  EXPECT_EQ(p.scale_up.stabilization_window, 0s);
  EXPECT_EQ(p.scale_down.stabilization_window, 30s);
  ASSERT_EQ(p.scale_up.policies.size(), 2u);
  EXPECT_EQ(lab::to_string(p.scale_up.policies[0]), "pods 4 per 15s");
  EXPECT_EQ(lab::to_string(p.scale_up.policies[1]), "percent 100 per 15s");
  EXPECT_EQ(p.scale_up.select, lab::SelectPolicy::max);
  ASSERT_EQ(p.scale_down.policies.size(), 1u);
  EXPECT_EQ(lab::to_string(p.scale_down.policies[0]), "percent 100 per 15s");
  EXPECT_EQ(parsed("max=3,target=1").min_replicas, 1);
}

TEST(AutoscalePolicy, ParsesEveryOptionalKey) {
  const auto p = parsed(" min = 0 , max=3,metric=custom:http_requests_in_flight,target=0.5,"
                        "tolerance=0.25,window=500ms,up-window=1.5s,sync=2m");
  EXPECT_EQ(p.min_replicas, 0);
  EXPECT_EQ(p.metric, lab::MetricKind::custom);
  EXPECT_EQ(p.custom_metric, "http_requests_in_flight");
  EXPECT_EQ(p.target, 0.5);
  EXPECT_EQ(p.tolerance, 0.25);
  EXPECT_EQ(p.scale_down.stabilization_window, 500ms);
  EXPECT_EQ(p.scale_up.stabilization_window, 1500ms);
  EXPECT_EQ(p.sync_period, 2min);
  EXPECT_EQ(parsed("max=3,target=1,sync=10").sync_period, 10s);  // a bare number is seconds
  EXPECT_EQ(parsed("max=3,target=1,metric=in_flight").metric, lab::MetricKind::in_flight);
  EXPECT_EQ(parsed("max=3,target=1,metric=cpu").metric, lab::MetricKind::cpu);
  EXPECT_EQ(parsed("max=3,target=1,metric=custom:ns:app_queue_depth").custom_metric, "ns:app_queue_depth");
  EXPECT_EQ(parsed("max=50,target=1,window=0").scale_down.stabilization_window, 0s);
}

TEST(AutoscalePolicy, ToStringIsCanonicalAndReadsBack) {
  const auto p = parsed("target=200,metric=rps,max=8");
  EXPECT_EQ(lab::to_string(p),
            "min=1,max=8,metric=rps,target=200,tolerance=0.1,window=30s,up-window=0s,sync=5s,idle=30s,starts=0");
  const auto q =
      parsed("min=0,max=3,metric=custom:queue_depth,target=2.5,window=90s,up-window=1500ms,sync=1,idle=2m,starts=2");
  EXPECT_EQ(lab::to_string(q),
            "min=0,max=3,metric=custom:queue_depth,target=2.5,tolerance=0.1,window=90s,up-window=1500ms,sync=1s,"
            "idle=2m,starts=2");
  EXPECT_EQ(lab::to_string(parsed(lab::to_string(q))), lab::to_string(q));
}

TEST(AutoscalePolicy, RefusesBadSpellingsNamingTheCulprit) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"min=1,max=8,metric=rps,target=200,speed=3", "unknown key 'speed'"},
      {"min=1,metric=rps,target=200", "max= is missing"},
      {"min=1,max=8,metric=rps", "target= is missing"},
      {"", "max="},
      {"min=5,max=2,target=1", "min=5 is above max=2"},
      {"max=51,target=1", "max=51"},
      {"max=0,target=1", "max=0"},
      {"min=-1,max=2,target=1", "min=-1"},
      {"min=1.5,max=8,target=1", "min=1.5"},
      {"max=eight,target=1", "max=eight"},
      {"max=8,target=0", "target=0"},
      {"max=8,target=-3", "target=-3"},
      {"max=8,target=lots", "target=lots"},
      {"max=8,target=inf", "target=inf"},
      {"max=8,target=1,tolerance=1", "tolerance=1"},
      {"max=8,target=1,tolerance=-0.1", "tolerance=-0.1"},
      {"max=8,target=1,window=-5s", "window=-5s"},
      {"max=8,target=1,up-window=-1", "up-window=-1"},
      {"max=8,target=1,sync=-1s", "sync=-1s"},
      {"max=8,target=1,sync=0s", "sync=0s"},
      {"max=8,target=1,window=soon", "window=soon"},
      {"max=8,target=1,window=2h", "window=2h"},
      {"max=8,target=1,window=61m", "window=61m"},
      {"max=8,target=1,metric=memory", "metric=memory"},
      {"max=8,target=1,metric=custom", "metric=custom"},
      {"max=8,target=1,metric=custom:", "metric=custom:"},
      {"max=8,target=1,metric=custom:9lives", "'9lives' is not a Prometheus metric name"},
      {"max=8,target=1,metric=custom:http-requests", "'http-requests'"},
      {"max=8,max=9,target=1", "'max' is given twice"},
      {"max=8,,target=1", "stray comma"},
      {"max=8,target=1,", "stray comma"},
      {"max=8,target", "'target' is not key=value"},
      {"max=8,target=", "'target=' has no value"},
      {"max=8,target=1,idle=-1s", "idle=-1s"},
      {"max=8,target=1,idle=2h", "idle=2h"},
      {"max=8,target=1,starts=-1", "starts=-1"},
      {"max=8,target=1,starts=51", "starts=51"},
      {"min=0,max=8,target=1,metric=cpu", "min=0 needs metric in_flight, rps or custom"},
  };
  for (const auto& [spelling, culprit] : cases) {
    const std::string message = spelling_refusal(spelling);
    EXPECT_NE(message.find(culprit), std::string::npos) << spelling << " -> " << message;
    EXPECT_EQ(message.rfind("autoscale: ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(AutoscalePolicy, JsonRoundTrips) {
  auto p = parsed("min=0,max=12,metric=custom:queue_depth,target=2.5,tolerance=0.05,window=1m,sync=3s,idle=45s,starts=3");
  p.scale_up = {{{lab::ScalingPolicyType::percent, 900, 10s}}, lab::SelectPolicy::min, 20s};
  p.scale_down.select = lab::SelectPolicy::disabled;
  const auto j = lab::to_json(p);
  EXPECT_EQ(j.at("metric"), "custom:queue_depth");
  EXPECT_EQ(j.at("sync_ms"), 3000);
  EXPECT_EQ(j.at("idle_ms"), 45000);
  EXPECT_EQ(j.at("max_starting"), 3);
  EXPECT_EQ(j.at("scale_up").at("select"), "min");
  EXPECT_EQ(j.at("scale_up").at("policies").at(0),
            (nlohmann::json{{"type", "percent"}, {"value", 900}, {"period_ms", 10000}}));
  const auto back = lab::autoscale_policy_from_json(j);
  EXPECT_EQ(lab::to_json(back), j);
  EXPECT_EQ(lab::to_string(back), lab::to_string(p));

  const auto defaults = lab::to_json(parsed("max=8,target=200"));
  EXPECT_EQ(defaults.at("scale_up").at("policies").at(0),
            (nlohmann::json{{"type", "pods"}, {"value", 4}, {"period_ms", 15000}}));
  EXPECT_EQ(defaults.at("scale_down").at("window_ms"), 30000);
  // Keys left out take the defaults.
  EXPECT_EQ(lab::to_json(lab::autoscale_policy_from_json({{"max", 8}, {"target", 200}})), defaults);
}

TEST(AutoscalePolicy, JsonRefusesWhatTheSpellingRefuses) {
  const nlohmann::json base = {{"max", 8}, {"target", 200}};
  const auto with = [&](const char* key, nlohmann::json value) {
    auto j = base;
    j[key] = std::move(value);
    return j;
  };
  const auto policies = [](nlohmann::json list) { return nlohmann::json{{"policies", std::move(list)}}; };
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {with("target", 0), "target=0"},
      {with("max", 51), "max=51"},
      {with("min", 9), "min=9 is above max=8"},
      {with("max", "8"), "max must be a whole number"},
      {with("max", 8.5), "max must be a whole number"},
      {with("metric", "memory"), "metric=memory"},
      {with("tolerance", 2), "tolerance=2"},
      {with("sync_ms", -5), "sync=-5ms"},
      {with("speed", 3), "unknown key 'speed'"},
      {{{"max", 8}}, "target is missing"},
      {nlohmann::json::array(), "must be a JSON object"},
      {with("scale_up", {{"speed", 1}}), "unknown key 'scale_up.speed'"},
      {with("scale_down", {{"window_ms", -1}}), "window=-1ms"},
      {with("scale_up", {{"window_ms", -1}}), "up-window=-1ms"},
      {with("scale_up", {{"select", "most"}}), "scale_up.select 'most'"},
      {with("scale_up", policies(nlohmann::json::array())), "scale_up has no policy"},
      {with("scale_up", policies({{{"type", "pods"}, {"value", 0}, {"period_ms", 15000}}})),
       "value must be at least 1"},
      {with("scale_down", policies({{{"type", "nodes"}, {"value", 1}, {"period_ms", 15000}}})),
       "scale_down.policies[0].type 'nodes'"},
      {with("scale_down", policies({{{"type", "pods"}, {"value", 1}}})), "scale_down.policies[0].period_ms is missing"},
  };
  for (const auto& [j, culprit] : cases) {
    const std::string message = json_refusal(j);
    EXPECT_NE(message.find(culprit), std::string::npos) << j.dump() << " -> " << message;
  }
}
