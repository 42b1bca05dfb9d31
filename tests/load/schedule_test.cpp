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
