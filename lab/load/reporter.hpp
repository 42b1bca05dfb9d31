// How a load run looks to a person or a script. While the run goes, one progress line
// is rewritten in place on a terminal (or, asked for, one JSON Sample per line goes
// out), never on the stream the summary takes when that is a pipe. At the end comes a
// summary: a table for people or the LoadResult JSON for scripts, either one ending
// with the verdict (thresholds.hpp): the thresholds crossed and the exit code.
#pragma once

#include <cstdio>
#include <string>

#include "lab/load/results.hpp"
#include "lab/load/thresholds.hpp"

namespace scalelab::load {

// automatic: a line on whichever of out and err is a terminal (out first), else none.
enum class ProgressMode { automatic, line, json, none };
enum class OutputFormat { table, json };

// The summary goes to `out`. Progress never shares a pipe with it: it goes to `out`
// when `out` is a terminal, and to `err` otherwise.
class Reporter {
 public:
  Reporter(ProgressMode progress, OutputFormat output, std::FILE* out = stdout, std::FILE* err = stderr);
  void progress(const Sample& sample);
  // The table, or the LoadResult JSON with a "verdict" key added.
  void summary(const LoadResult& result, const Verdict& verdict);

 private:
  ProgressMode mode_;
  OutputFormat output_;
  std::FILE* out_;
  std::FILE* progress_out_;
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
// Its last lines: "  verdict      exit 3: violations over their thresholds", then one
// line per crossed threshold.
std::string verdict_table(const Verdict& verdict);

}  // namespace scalelab::load
