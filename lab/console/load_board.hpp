// The console's view of a load run. The load generator runs in another process
// (`scalelab load`) or inside the experiment runner, so it reports to the console
// rather than the console finding it: each one-second Sample (the shape of
// lab/load/README.md) is POSTed to /console/api/load-sample. The board keeps the
// latest sample, the totals of the current run and a five-minute history, and says
// whether a load is running (a sample arrived in the last few seconds).
// Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace scalelab::console {

class LoadBoard {
 public:
  // A sample older than this means no load is running any more.
  static constexpr double kActiveFor = 5.0;

  // Records one Sample from `source` (a free name: "scalelab load", an experiment's
  // title) received at `now` (Unix seconds). A new run starts when the source
  // changes, `t` does not grow, or no sample came for 30 s. Throws
  // std::invalid_argument naming the field when the body is not a Sample.
  void add(const nlohmann::json& sample, const std::string& source, double now);

  // {"active", "source", "age_s", "run": {"started", "samples", "requests", "errors",
  //  "violations": {...}, "checks": {...}, "status": {...}, "transport": {...}},
  //  "latest": Sample, "history": {"t": [...], "rps": [...], "errors": [...],
  //  "violations": [...], "p99_ms": [...]}}; {"active": false} before any sample.
  nlohmann::json to_json(double now) const;

 private:
  mutable std::mutex mu_;
  std::string source_;
  double last_received_ = 0;
  double last_t_ = 0;
  nlohmann::json latest_;
  nlohmann::json run_;
  struct Point {
    double t, rps, errors, violations, p99_ms;
  };
  std::deque<Point> history_;
};

}  // namespace scalelab::console
