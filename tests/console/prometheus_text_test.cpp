// The console's reader of the Prometheus text format: labels with escapes, special
// values, and tolerance for lines it cannot read.
#include <gtest/gtest.h>

#include <cmath>

#include "lab/console/prometheus_text.hpp"

using scalelab::console::parse_prometheus_text;

TEST(PrometheusText, ReadsNamesLabelsAndValues) {
  const auto samples = parse_prometheus_text(
      "# HELP app_requests_total Requests\n"
      "# TYPE app_requests_total counter\n"
      "app_requests_total{route=\"/api/me\",method=\"GET\",status=\"200\"} 12\n"
      "app_requests_in_flight 3\r\n"
      "\n"
      "app_request_duration_seconds_bucket{route=\"/api/me\",le=\"+Inf\"} 12 1700000000000\n");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].name, "app_requests_total");
  EXPECT_EQ(samples[0].label("route"), "/api/me");
  EXPECT_EQ(samples[0].label("status"), "200");
  EXPECT_EQ(samples[0].label("absent"), "");
  EXPECT_EQ(samples[0].value, 12);
  EXPECT_EQ(samples[1].name, "app_requests_in_flight");
  EXPECT_TRUE(samples[1].labels.empty());
  EXPECT_EQ(samples[1].value, 3);
  EXPECT_EQ(samples[2].label("le"), "+Inf");
}

TEST(PrometheusText, UnescapesLabelValuesAndReadsSpecialValues) {
  const auto samples = parse_prometheus_text(
      "m{a=\"say \\\"hi\\\"\",b=\"back\\\\slash\",c=\"two\\nlines\"} +Inf\n"
      "n NaN\n"
      "o -Inf\n"
      "p{x=\"1\",} 2.5e-3\n");
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].label("a"), "say \"hi\"");
  EXPECT_EQ(samples[0].label("b"), "back\\slash");
  EXPECT_EQ(samples[0].label("c"), "two\nlines");
  EXPECT_TRUE(std::isinf(samples[0].value) && samples[0].value > 0);
  EXPECT_TRUE(std::isnan(samples[1].value));
  EXPECT_TRUE(std::isinf(samples[2].value) && samples[2].value < 0);
  EXPECT_DOUBLE_EQ(samples[3].value, 0.0025);
}

TEST(PrometheusText, SkipsWhatItCannotRead) {
  const auto samples = parse_prometheus_text(
      "{no_name=\"x\"} 1\n"
      "unterminated{a=\"x} 1\n"
      "no_value\n"
      "bad_value 12abc\n"
      "fine 7\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "fine");
}
