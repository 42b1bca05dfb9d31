// The balancer's share of recent answers, from its cumulative counts.
#include "lab/console/distribution.hpp"

namespace scalelab::console {

void Distribution::add(double t, std::map<std::string, double> totals) {
  records_.push_back({t, std::move(totals)});
  while (records_.size() > 2 && records_.front().t < t - 60) records_.pop_front();
}

std::map<std::string, BackendRates> Distribution::over(double seconds) const {
  std::map<std::string, BackendRates> out;
  if (records_.empty()) return out;
  const Record& now = records_.back();
  // The newest record at least `seconds` old (a 10 % slack absorbs sampling jitter),
  // else the oldest one there is.
  const Record* base = &records_.front();
  for (const auto& r : records_)
    if (&r != &now && r.t <= now.t - seconds * 0.9) base = &r;
  const double span = now.t - base->t;
  double sum = 0;
  std::map<std::string, double> delta;
  for (const auto& [id, total] : now.totals) {
    double from = total;  // unseen at the start of the span: counts from its first record
    for (const auto& r : records_) {
      if (r.t < base->t) continue;
      auto it = r.totals.find(id);
      if (it != r.totals.end()) {
        from = it->second;
        break;
      }
    }
    const double d = total >= from ? total - from : total;
    delta[id] = d;
    sum += d;
  }
  for (const auto& [id, d] : delta) {
    BackendRates& b = out[id];
    b.rps = span > 0 ? d / span : 0;
    if (sum > 0) b.share = d / sum;
  }
  return out;
}

}  // namespace scalelab::console
