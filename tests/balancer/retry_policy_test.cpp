// Unit tests: which failures are retried, and the retry budget.
#include "balancer/retry_policy.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace scalelab::balancer;
namespace http = boost::beast::http;

TEST(RetryPolicy, ConnectFailuresAreRetriedForAnyMethod) {
  for (auto m : {http::verb::get, http::verb::post, http::verb::put, http::verb::delete_, http::verb::patch}) {
    EXPECT_TRUE(retryable(Failure::connect_refused, m, false));
    EXPECT_TRUE(retryable(Failure::connect_timeout, m, true));
  }
}

TEST(RetryPolicy, AfterSendingOnlyGetAndHeadWithoutBody) {
  for (auto f : {Failure::send_failed, Failure::empty_response, Failure::reset_before_response, Failure::reset_mid_header,
                 Failure::try_timeout, Failure::truncated_response}) {
    EXPECT_TRUE(retryable(f, http::verb::get, false));
    EXPECT_TRUE(retryable(f, http::verb::head, false));
    EXPECT_FALSE(retryable(f, http::verb::post, false));
    EXPECT_FALSE(retryable(f, http::verb::put, false));
    EXPECT_FALSE(retryable(f, http::verb::get, true));  // a streamed body cannot be replayed
  }
}

TEST(RetryPolicy, NeverAfterTheResponseTimeoutOrABadResponse) {
  for (auto f : {Failure::response_timeout, Failure::bad_response}) {
    EXPECT_FALSE(retryable(f, http::verb::get, false));
  }
}

TEST(RetryPolicy, FinalAnswers) {
  EXPECT_EQ(failure_status(Failure::connect_refused), 502u);
  EXPECT_EQ(failure_status(Failure::connect_timeout), 504u);
  EXPECT_EQ(failure_status(Failure::response_timeout), 504u);
  EXPECT_EQ(failure_status(Failure::empty_response), 502u);
  EXPECT_STREQ(failure_error(Failure::response_timeout), "upstream_timeout");
  EXPECT_EQ(failure_status(Failure::try_timeout), 504u);
  EXPECT_STREQ(failure_error(Failure::try_timeout), "upstream_timeout");
  EXPECT_STREQ(failure_name(Failure::try_timeout), "try_timeout");
  EXPECT_TRUE(is_connect_failure(Failure::connect_timeout));
  EXPECT_FALSE(is_connect_failure(Failure::send_failed));
}

TEST(RetryPolicy, EveryFailureHasItsOwnRow) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(Failure::reset_mid_header); ++i)
    EXPECT_TRUE(names.insert(failure_name(static_cast<Failure>(i))).second) << i << " shares a row";
}

TEST(RetryBudget, MinimumAlwaysAllowed) {
  RetryBudget b(0.2, 3);
  EXPECT_TRUE(b.try_acquire(0));
  EXPECT_TRUE(b.try_acquire(0));
  EXPECT_TRUE(b.try_acquire(0));
  EXPECT_FALSE(b.try_acquire(0));
  b.release();
  EXPECT_TRUE(b.try_acquire(0));
}

TEST(RetryBudget, ShareOfInFlightRequests) {
  RetryBudget b(0.2, 1);
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += b.try_acquire(100) ? 1 : 0;
  EXPECT_EQ(granted, 20);  // 20 % of 100 in flight
  EXPECT_EQ(b.active(), 20);
  for (int i = 0; i < 20; ++i) b.release();
  EXPECT_EQ(b.active(), 0);
}
