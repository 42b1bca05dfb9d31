// Unit tests: the warm-up penalty (services/app/cold_start.hpp), a pure function of
// the time since the instance began listening.
#include "services/app/cold_start.hpp"

#include <gtest/gtest.h>

using scalelab::app::warmup_penalty;
using namespace std::chrono_literals;

TEST(Warmup, ThePenaltyFallsLinearlyToNothingByTheEndOfTheWarmup) {
  EXPECT_EQ(warmup_penalty(0ms, 3000ms, 200ms), 200ms);
  EXPECT_EQ(warmup_penalty(1500ms, 3000ms, 200ms), 100ms);
  EXPECT_EQ(warmup_penalty(2999ms, 3000ms, 300ms), 0ms);  // 0.1 ms, rounded down
  EXPECT_EQ(warmup_penalty(3000ms, 3000ms, 200ms), 0ms);
  EXPECT_EQ(warmup_penalty(60000ms, 3000ms, 200ms), 0ms);
  EXPECT_EQ(warmup_penalty(0ms, 0ms, 200ms), 0ms) << "no warm-up";
  EXPECT_EQ(warmup_penalty(-5ms, 3000ms, 200ms), 0ms) << "a clock that went back";
}
