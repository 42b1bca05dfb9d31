// Checks that an expression names only what exists: metrics the binaries export (as
// seen on their live /metrics), recording rules, and Prometheus' own series (up,
// ALERTS); labels those carry; equality-matched label values they were seen with; and
// a `job` that matches where the metric comes from.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/deploy/expressions.hpp"
#include "tests/deploy/exposition.hpp"

namespace scalelab::deploytest {

class NameChecker {
 public:
  // `live`: job name ("app", "balancer", "faultproxy") -> what its /metrics showed.
  NameChecker(std::map<std::string, MetricNames> live, const std::vector<RecordingRule>& recorded);

  // Problems with one expression, each a sentence naming `e.where`.
  std::vector<std::string> check(const Expression& e) const;

 private:
  // Labels `metric` carries; false when the name is unknown.
  bool labels_of(const std::string& metric, std::set<std::string>& labels) const;
  std::set<std::string> derive_labels(const std::string& expr) const;

  std::map<std::string, MetricNames> live_;
  std::map<std::string, std::set<std::string>> recorded_;
};

}  // namespace scalelab::deploytest
