#include "lab/load/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace scalelab::load {

RateProfile::RateProfile(double start_rate, std::vector<RateStage> stages) : start_rate_(start_rate) {
  double begin = 0, arrivals = 0, from = start_rate;
  for (const auto& stage : stages) {
    const double length = std::chrono::duration<double>(stage.duration).count();
    segments_.push_back({begin, length, from, stage.target, arrivals});
    arrivals += (from + stage.target) / 2 * length;
    begin += length;
    from = stage.target;
  }
}

double RateProfile::rate_at(double t) const {
  if (segments_.empty()) return start_rate_;
  for (const auto& s : segments_)
    if (t < s.begin + s.length) return t <= s.begin ? s.from : s.from + (s.to - s.from) * (t - s.begin) / s.length;
  return segments_.back().to;
}

double RateProfile::arrivals_by(double t) const {
  if (t <= 0) return 0;
  if (segments_.empty()) return start_rate_ * t;
  for (const auto& s : segments_) {
    if (t >= s.begin + s.length) continue;
    const double tau = t - s.begin;
    return s.arrivals_before + s.from * tau + (s.to - s.from) / (2 * s.length) * tau * tau;
  }
  const Segment& last = segments_.back();
  return last.arrivals_before + (last.from + last.to) / 2 * last.length + last.to * (t - last.begin - last.length);
}

double RateProfile::time_of(double n) const {
  if (n <= 0) return 0;
  if (segments_.empty()) return start_rate_ > 0 ? n / start_rate_ : -1;
  for (const auto& s : segments_) {
    const double in_segment = (s.from + s.to) / 2 * s.length;
    const double rem = n - s.arrivals_before;
    if (rem > in_segment) continue;
    if (rem <= 0) return s.begin;
    // The smallest tau >= 0 with from*tau + a*tau^2 = rem, written so that it does not
    // cancel when a is small: tau = 2*rem / (from + sqrt(from^2 + 4*a*rem)).
    const double a = (s.to - s.from) / (2 * s.length);
    const double root = std::sqrt(std::max(0.0, s.from * s.from + 4 * a * rem));
    return s.begin + 2 * rem / (s.from + root);
  }
  const Segment& last = segments_.back();
  if (last.to <= 0) return -1;
  const double after = n - last.arrivals_before - (last.from + last.to) / 2 * last.length;
  return last.begin + last.length + after / last.to;
}

}  // namespace scalelab::load
