// The autoscaler's readings that need no lab: a metric summed out of a Prometheus text
// exposition (every label set, no look-alike names), and this process's CPU time.
#include <unistd.h>

#include <gtest/gtest.h>

#include "lab/supervisor/autoscale_metrics.hpp"

using scalelab::lab::process_cpu_seconds;
using scalelab::lab::sum_of_metric;

TEST(AutoscaleMetrics, SumsEverySampleOfTheNamedMetricAndNoLookAlike) {
  const char* text =
      "# HELP app_requests_total Requests\n"
      "# TYPE app_requests_total counter\n"
      "app_requests_total{route=\"/a\"} 10\n"
      "app_requests_total{route=\"/b\",code=\"200\"} 2.5 1700000000000\n"
      "app_requests_total_created 99\n"
      "app_queue 4\n";
  EXPECT_DOUBLE_EQ(*sum_of_metric(text, "app_requests_total"), 12.5);
  EXPECT_DOUBLE_EQ(*sum_of_metric(text, "app_queue"), 4.0);
  EXPECT_FALSE(sum_of_metric(text, "app_missing"));
  EXPECT_FALSE(sum_of_metric("app_queue not-a-number\n", "app_queue"));
  EXPECT_FALSE(sum_of_metric("", "app_queue"));
}

TEST(AutoscaleMetrics, ReadsAProcesssCpuTime) {
  const auto mine = process_cpu_seconds(static_cast<int>(::getpid()));
  ASSERT_TRUE(mine);
  EXPECT_GE(*mine, 0.0);
  EXPECT_FALSE(process_cpu_seconds(0));
}
