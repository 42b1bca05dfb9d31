// The log-linear bucket arithmetic of histogram.hpp. Index layout: [0, 2048) holds
// values exactly; each later block of 1024 covers one power of two [2^e, 2^(e+1)),
// split linearly, so index = (e - 10) * 1024 + (value >> (e - 10)).
#include "lab/load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace scalelab::load {

Histogram::Histogram() : counts_(bucket_count(), 0) {}

std::size_t Histogram::index_of(std::uint64_t value) {
  if (value > kMaxValue) value = kMaxValue;
  if (value < kSubBucketCount) return static_cast<std::size_t>(value);
  const int exponent = 63 - std::countl_zero(value);  // >= kSubBucketBits
  const int shift = exponent - (kSubBucketBits - 1);
  return static_cast<std::size_t>(shift) * kHalf + static_cast<std::size_t>(value >> shift);
}

std::uint64_t Histogram::lowest_in_bucket(std::size_t index) {
  if (index < kSubBucketCount) return index;
  const std::size_t shift = index / kHalf - 1;  // index in [ (shift+1)*1024, (shift+2)*1024 )
  const std::uint64_t sub = index - shift * kHalf;
  return sub << shift;
}

std::uint64_t Histogram::highest_in_bucket(std::size_t index) {
  if (index < kSubBucketCount) return index;
  const std::size_t shift = index / kHalf - 1;
  return lowest_in_bucket(index) + (1ull << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
  const std::size_t i = index_of(value);
  ++counts_[i];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  highest_index_ = std::max(highest_index_, i);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i <= other.highest_index_; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  highest_index_ = std::max(highest_index_, other.highest_index_);
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(highest_index_ + 1), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
  highest_index_ = 0;
}

std::uint64_t Histogram::value_at_percentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the value asked for, 1-based: p50 of 4 values is the 2nd.
  auto rank = static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i <= highest_index_; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_in_bucket(i), max_);
  }
  return max_;
}

}  // namespace scalelab::load
