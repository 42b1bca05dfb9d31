// The open-loop schedule: intended send times are fixed in advance, evenly spaced at
// 1/rate across all threads, and independent of when requests actually go out.
#include "lab/load/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using scalelab::load::OpenLoopSchedule;
using Clock = OpenLoopSchedule::Clock;
using namespace std::chrono_literals;

TEST(OpenLoopSchedule, OneThreadSendsEveryOneOverRate) {
  const auto start = Clock::time_point{} + 100s;
  OpenLoopSchedule s(start, 1000.0, 1, 0);
  EXPECT_EQ(s.intended(0), start);
  EXPECT_EQ(s.intended(1), start + 1ms);
  EXPECT_EQ(s.intended(1000), start + 1s);
  EXPECT_EQ(s.due_by(start - 1ms), 0u);
  EXPECT_EQ(s.due_by(start), 1u);
  EXPECT_EQ(s.due_by(start + 999us), 1u);
  EXPECT_EQ(s.due_by(start + 1ms), 2u);
  EXPECT_EQ(s.due_by(start + 1s), 1001u);
}

TEST(OpenLoopSchedule, ThreadsInterleaveIntoOneEvenSchedule) {
  const auto start = Clock::time_point{} + 5s;
  const double rate = 300.0;
  const unsigned threads = 3;
  std::vector<Clock::time_point> all;
  for (unsigned t = 0; t < threads; ++t) {
    OpenLoopSchedule s(start, rate, threads, t);
    for (std::uint64_t k = 0; k < 100; ++k) all.push_back(s.intended(k));
    // Each thread alone runs at rate / threads.
    EXPECT_NEAR(std::chrono::duration<double>(s.intended(1) - s.intended(0)).count(), threads / rate, 1e-9);
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 300u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const double expected = static_cast<double>(i) / rate;
    EXPECT_NEAR(std::chrono::duration<double>(all[i] - start).count(), expected, 1e-6) << i;
  }
}

TEST(OpenLoopSchedule, LateSendersKeepTheirIntendedTimes) {
  // A stall does not move the schedule: after a 200 ms stall at 100/s, 20 requests are
  // overdue, and their latency is measured from these earlier intended times.
  const auto start = Clock::time_point{} + 1s;
  OpenLoopSchedule s(start, 100.0, 1, 0);
  const auto now = start + 200ms;
  EXPECT_EQ(s.due_by(now), 21u);
  EXPECT_EQ(now - s.intended(0), 200ms);
  EXPECT_EQ(now - s.intended(20), 0ms);
}

// Stages, as k6's ramping-arrival-rate: the rate moves linearly between targets, and
// request n is due when the rate's integral reaches n.
using scalelab::load::RateProfile;
using scalelab::load::RateStage;

TEST(RateProfile, AConstantRateIsTheStartRateAlone) {
  const RateProfile p(200.0, {});
  EXPECT_DOUBLE_EQ(p.rate_at(3.0), 200.0);
  EXPECT_DOUBLE_EQ(p.arrivals_by(2.5), 500.0);
  EXPECT_DOUBLE_EQ(p.time_of(500.0), 2.5);
}

TEST(RateProfile, ARampIntegratesToTheTriangleUnderIt) {
  const RateProfile p(0.0, {{10s, 100.0}});
  EXPECT_DOUBLE_EQ(p.rate_at(5.0), 50.0);
  EXPECT_DOUBLE_EQ(p.arrivals_by(10.0), 500.0);
  EXPECT_DOUBLE_EQ(p.arrivals_by(5.0), 125.0);
  EXPECT_NEAR(p.time_of(125.0), 5.0, 1e-9);
  EXPECT_NEAR(p.time_of(500.0), 10.0, 1e-9);
  // After the last stage its target holds.
  EXPECT_DOUBLE_EQ(p.rate_at(60.0), 100.0);
  EXPECT_NEAR(p.time_of(600.0), 11.0, 1e-9);
}

TEST(RateProfile, UpHoldDownIsInvertedExactlyEverywhere) {
  const RateProfile p(50.0, {{10s, 1000.0}, {10s, 1000.0}, {10s, 50.0}});
  EXPECT_DOUBLE_EQ(p.arrivals_by(10.0), 5250.0);
  EXPECT_DOUBLE_EQ(p.arrivals_by(20.0), 15250.0);
  EXPECT_DOUBLE_EQ(p.arrivals_by(30.0), 20500.0);
  for (double n = 1; n < 20500; n += 97.3) {
    const double t = p.time_of(n);
    ASSERT_GE(t, 0);
    EXPECT_NEAR(p.arrivals_by(t), n, 1e-6 * n) << n;
  }
  // Requests are due in order, closer together where the rate is higher.
  EXPECT_LT(p.time_of(100) - p.time_of(99), p.time_of(1) - p.time_of(0));
  EXPECT_NEAR(p.time_of(10001) - p.time_of(10000), 1.0 / 1000, 1e-9);
}

TEST(RateProfile, ARateThatEndsAtZeroNeverReachesLaterRequests) {
  const RateProfile p(100.0, {{2s, 0.0}});
  EXPECT_DOUBLE_EQ(p.arrivals_by(100.0), 100.0);
  EXPECT_LT(p.time_of(150.0), 0);
  const auto start = Clock::time_point{} + 1s;
  OpenLoopSchedule s(start, p, 1, 0);
  EXPECT_GT(s.intended(150), start + std::chrono::hours(24 * 300)) << "a year away: the run ends first";
}

TEST(RateProfile, ThreadsShareAStagedScheduleWithoutGapsOrDuplicates) {
  const RateProfile p(10.0, {{5s, 400.0}, {5s, 20.0}});
  const auto start = Clock::time_point{} + 2s;
  const unsigned threads = 4;
  std::vector<Clock::time_point> all;
  for (unsigned t = 0; t < threads; ++t) {
    OpenLoopSchedule s(start, p, threads, t);
    for (std::uint64_t k = 0; k < 250; ++k) all.push_back(s.intended(k));
    EXPECT_EQ(s.due_by(s.intended(10)), 11u);
  }
  std::sort(all.begin(), all.end());
  for (std::size_t n = 0; n < all.size(); ++n) {
    const double want = p.time_of(static_cast<double>(n));
    EXPECT_NEAR(std::chrono::duration<double>(all[n] - start).count(), want, 1e-6) << n;
  }
}
