// What a Prometheus text exposition (a live /metrics) says about the names in it:
// every series name (histograms expose _bucket, _sum and _count, each a name of its
// own), and every label name and value seen on each.
#pragma once

#include <map>
#include <set>
#include <string>

namespace scalelab::deploytest {

struct MetricNames {
  // name -> label name -> values seen
  std::map<std::string, std::map<std::string, std::set<std::string>>> series;
  // family name (from # TYPE) -> type ("counter", "gauge", "histogram", ...)
  std::map<std::string, std::string> families;

  bool has(const std::string& name) const { return series.count(name) > 0 || families.count(name) > 0; }
  // Label names of `name` (a family's labels are those of its series, le included).
  std::set<std::string> labels(const std::string& name) const;
  void merge(const MetricNames& other);
};

// Parses the text format (version 0.0.4). Throws std::invalid_argument on a line it
// cannot read, naming the line.
MetricNames parse_exposition(const std::string& text);

}  // namespace scalelab::deploytest
