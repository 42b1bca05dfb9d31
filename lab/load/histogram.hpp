// Latency percentiles need at least three significant digits over a range from
// microseconds to minutes, and HdrHistogram is not among our Debian packages, so the
// load generator records latencies here. This is a compact HDR-style log-linear
// histogram: exact below 2048, then 1024 linear sub-buckets per power of two, so every
// recorded value lands in a bucket whose width is at most 1/1024 of its value (better
// than 0.1 %).
#pragma once

#include <cstdint>
#include <vector>

namespace scalelab::load {

class Histogram {
 public:
  // Values above kMaxValue (about 275 s in nanoseconds) are clamped to it; `max()`
  // still reports the true maximum.
  static constexpr int kSubBucketBits = 11;  // 2048 sub-buckets
  static constexpr std::uint64_t kSubBucketCount = 1ull << kSubBucketBits;
  static constexpr std::uint64_t kHalf = kSubBucketCount / 2;  // 1024
  static constexpr int kMaxExponent = 37;                      // highest power of two tracked
  static constexpr std::uint64_t kMaxValue = (1ull << (kMaxExponent + 1)) - 1;

  Histogram();

  void record(std::uint64_t value);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The smallest recorded bucket's upper bound such that at least `percentile` % of
  // the values are at or below it (HdrHistogram's "highest equivalent value"), never
  // above max(). 0 when empty. `percentile` is clamped to [0, 100].
  std::uint64_t value_at_percentile(double percentile) const;

  // Bucket geometry, public so tests can check the precision contract.
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t lowest_in_bucket(std::size_t index);
  static std::uint64_t highest_in_bucket(std::size_t index);
  static constexpr std::size_t bucket_count() {
    return static_cast<std::size_t>((kMaxExponent - kSubBucketBits + 1) * kHalf + kSubBucketCount);
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::size_t highest_index_ = 0;  // bounds merge and percentile walks
};

}  // namespace scalelab::load
