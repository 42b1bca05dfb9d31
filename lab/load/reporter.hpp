// The Reporter decides how a load run looks to a person or to a script. While the run
// goes, one progress line is rewritten in place on a terminal, or one JSON Sample per
// line goes out when stdout is a pipe. At the end comes a summary: a table for people
// or the LoadResult JSON for scripts.
#pragma once

#include <cstdio>
#include <string>

#include "lab/load/results.hpp"

namespace scalelab::load {

enum class ProgressMode { automatic, line, json, none };  // automatic: line on a TTY, else json
enum class OutputFormat { table, json };

class Reporter {
 public:
  Reporter(ProgressMode progress, OutputFormat output, std::FILE* out = stdout);
  void progress(const Sample& sample);
  void summary(const LoadResult& result);

 private:
  ProgressMode mode_;
  OutputFormat output_;
  std::FILE* out_;
  bool line_open_ = false;
};

// One line, no newline: "[  3s] 12345 req/s  failed 0  violations 0  p50 0.41 ms ..."
std::string progress_line(const Sample& sample);
// One failed request, no newline:
// "8.412 s  GET /api/me -> 503 no_backends: no backend is available  [balancer, b-1f3a]"
std::string failure_line(const FailedRequest& failure);
inline constexpr std::size_t kFailuresShown = 5;  // by the summary table
// The multi-line human summary.
std::string summary_table(const LoadResult& result);

}  // namespace scalelab::load
