// How the balancer spreads answers across its backends *now*. Its admin API gives
// each backend's requests_total since it started, so a cumulative share barely moves
// after a kill; the console shows the share of the answers of the last few seconds,
// which drops to zero for an instance that stopped answering.
#pragma once

#include <deque>
#include <map>
#include <string>

#include "lab/console/history.hpp"

namespace scalelab::console {

class Distribution {
 public:
  // Records the balancer's requests_total per backend at time t (seconds).
  void add(double t, std::map<std::string, double> totals);

  // Per backend listed in the latest record: answers per second and share over the
  // last `seconds` (or as much of it as was recorded). A backend not yet seen at the
  // start of the span counts from its first record; a count that went down (the
  // balancer restarted) counts from zero. Share is none when no answers came at all.
  std::map<std::string, BackendRates> over(double seconds) const;

 private:
  struct Record {
    double t;
    std::map<std::string, double> totals;
  };
  std::deque<Record> records_;  // the last minute at most
};

}  // namespace scalelab::console
