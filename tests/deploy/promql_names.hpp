// A small PromQL tokenizer, just enough to say which metric names and label names an
// expression uses, so the tests can check them against what the binaries export.
// It is not a parser: it skips strings, range and subquery brackets, numbers and
// durations, function and aggregation names, keywords and Grafana variables ($x), and
// reports every other identifier as a metric name with the matchers that follow it.
#pragma once

#include <string>
#include <vector>

namespace scalelab::deploytest {

struct Matcher {
  std::string label;
  std::string op;  // =, !=, =~, !~
  std::string value;
};

struct Selector {
  std::string metric;  // empty for a bare {__name__=...} selector
  std::vector<Matcher> matchers;
};

struct PromqlNames {
  std::vector<Selector> selectors;
  // Labels named by by(), without(), on(), ignoring(), group_left() and group_right().
  std::vector<std::string> grouping_labels;
  // True when a binary operation matches vectors with on(), ignoring() or group_*().
  bool vector_matching = false;
};

// Throws std::invalid_argument for unbalanced brackets or an unterminated string.
PromqlNames promql_names(const std::string& expr);

}  // namespace scalelab::deploytest
