// The histogram's precision contract: three significant digits (relative error below
// 0.1 %) at every magnitude, exact small values, correct merging.
#include "lab/load/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using scalelab::load::Histogram;

TEST(Histogram, BucketsAreContiguousAndNarrow) {
  for (std::size_t i = 1; i < Histogram::bucket_count(); ++i) {
    ASSERT_EQ(Histogram::lowest_in_bucket(i), Histogram::highest_in_bucket(i - 1) + 1) << i;
    const auto lo = Histogram::lowest_in_bucket(i);
    const auto width = Histogram::highest_in_bucket(i) - lo + 1;
    ASSERT_LE(static_cast<double>(width - 1) / static_cast<double>(lo), 1.0 / 1000.0) << i;
  }
  EXPECT_EQ(Histogram::index_of(Histogram::kMaxValue), Histogram::bucket_count() - 1);
  for (std::uint64_t v : {0ull, 1ull, 2047ull, 2048ull, 2049ull, 123456789ull, 1ull << 36}) {
    const auto i = Histogram::index_of(v);
    EXPECT_LE(Histogram::lowest_in_bucket(i), v);
    EXPECT_GE(Histogram::highest_in_bucket(i), v);
  }
}

TEST(Histogram, PercentilesHaveThreeSignificantDigits) {
  std::mt19937_64 rng(42);
  // Log-uniform latencies from 1 µs to 10 s, in nanoseconds.
  std::uniform_real_distribution<double> exponent(3.0, 10.0);
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(h.value_at_percentile(p));
    EXPECT_NEAR(got, exact, exact * 0.001) << "p" << p;
    EXPECT_GE(got, exact) << "p" << p;  // reported as the bucket's highest equivalent value
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.value_at_percentile(100), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, SmallValuesAreExactAndEmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.value_at_percentile(50), 50u);
  EXPECT_EQ(h.value_at_percentile(99), 99u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, MergeAndResetAndClamp) {
  Histogram a, b;
  for (int i = 0; i < 1000; ++i) a.record(1'000'000);  // 1 ms
  for (int i = 0; i < 1000; ++i) b.record(9'000'000);  // 9 ms
  a.merge(b);
  EXPECT_EQ(a.count(), 2000u);
  EXPECT_NEAR(static_cast<double>(a.value_at_percentile(50)), 1e6, 1e3);
  EXPECT_NEAR(static_cast<double>(a.value_at_percentile(51)), 9e6, 9e3);
  EXPECT_EQ(a.max(), 9'000'000u);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.value_at_percentile(99), 0u);
  Histogram big;
  big.record(Histogram::kMaxValue * 4);  // beyond the range: clamped, max still true
  EXPECT_EQ(big.max(), Histogram::kMaxValue * 4);
  EXPECT_EQ(big.count(), 1u);
}
