// `scalelab demo autoscaling`: who decides how many instances run, and what a start
// costs, in four runs of about 20 s each. The same open-loop ramp (50 -> 600 -> 50
// req/s) and the same policy (2 requests in flight per instance) drive the first three:
// the HPA algorithm with its stabilization window, the same without one (the count
// flaps), and the same with a 3 s start-up (requests queue while instances start); the
// fourth lets an idle lab scale to zero and measures what the first requests after it
// pay. The numbers come from each run's journal: its
// instance count (journal/scaling.hpp), latency, failures and cold starts.
#include <cstdio>

#include "lab/experiment/demo.hpp"
#include "lab/journal/scaling.hpp"

namespace scalelab::experiment {
namespace {

double load_seconds(const journal::Journal& run) { return run.series.empty() ? 0 : run.series.back().elapsed_s; }

// The run's cold starts (load.totals.cold_start_ms), when any request waited.
std::optional<journal::Latency> cold_starts(const journal::Journal& run) {
  if (!run.load || !run.load->totals || !run.load->totals->cold_start) return std::nullopt;
  const journal::Latency& c = *run.load->totals->cold_start;
  if (c.count.value_or(0) <= 0) return std::nullopt;
  return c;
}

// "1 -> 2 -> 4 -> 3", at most `limit` counts (then "...").
std::string count_path(const std::vector<journal::CountStep>& steps, std::size_t limit = 8) {
  std::string out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (i == limit) return out + " -> ...";
    out += (i == 0 ? "" : " -> ") + std::to_string(steps[i].count);
  }
  return out;
}

}  // namespace

std::string autoscaling_conclusion(const journal::Journal& run) {
  const auto steps = journal::instance_count_steps(run);
  const journal::Totals t = run.totals();
  const std::string failed = whole_number(t.errors) + " of " + whole_number(t.requests) + " failed";
  if (const auto cold = cold_starts(run)) {
    const double warm_p50 = run.load && run.load->totals ? run.load->totals->latency.p50 : 0;
    return "the idle lab ran no instance (" + count_path(steps) + "); " + whole_number(*cold->count) +
           " requests waited for a cold start: p50 " + whole_number(cold->p50) + " ms, p99 " + whole_number(cold->p99) +
           " ms, against " + whole_number(warm_p50) + " ms for the run's median request; " + failed;
  }
  const int flaps = journal::direction_changes(steps);
  std::string line = "the count went " + count_path(steps) + " (" + std::to_string(steps.empty() ? 0 : steps.size() - 1) +
                     " changes, " + std::to_string(flaps) + " reversals) for " +
                     whole_number(journal::instance_seconds(steps, load_seconds(run))) + " instance-seconds; worst p99 " +
                     whole_number(t.worst_p99_ms) + " ms; " + failed;
  if (flaps > 2) line += " - without a stabilization window each dip of the metric removes an instance the next rise adds back";
  else if (t.worst_p99_ms > 1000) line += " - requests queued while instances started: a slow start-up breaks the SLO during scale-up";
  return line;
}

std::string autoscaling_table(const std::vector<journal::Journal>& runs) {
  std::vector<std::vector<journal::CountStep>> steps;
  std::vector<journal::Totals> totals;
  for (const journal::Journal& r : runs) {
    steps.push_back(journal::instance_count_steps(r));
    totals.push_back(r.totals());
  }
  DemoRows rows;
  add_row(rows, "requests", [&](std::size_t i) { return whole_number(totals[i].requests); });
  add_row(rows, "failed requests", [&](std::size_t i) { return whole_number(totals[i].errors); });
  add_row(rows, "worst p99 (ms)", [&](std::size_t i) { return whole_number(totals[i].worst_p99_ms); });
  add_row(rows, "instances", [&](std::size_t i) {
    if (steps[i].empty()) return std::string("?");
    int least = steps[i][0].count, most = least;
    for (const auto& s : steps[i]) least = std::min(least, s.count), most = std::max(most, s.count);
    return std::to_string(least) + " to " + std::to_string(most);
  });
  add_row(rows, "count changes", [&](std::size_t i) { return std::to_string(steps[i].empty() ? 0 : steps[i].size() - 1); });
  add_row(rows, "reversals (flapping)", [&](std::size_t i) { return std::to_string(journal::direction_changes(steps[i])); });
  add_row(rows, "instance-seconds", [&](std::size_t i) {
    return whole_number(journal::instance_seconds(steps[i], load_seconds(runs[i])));
  });
  add_row(rows, "cold starts", [&](std::size_t i) {
    const auto cold = cold_starts(runs[i]);
    return cold ? whole_number(*cold->count) + " (p99 " + whole_number(cold->p99) + " ms)" : std::string("0");
  });
  return demo_table(runs, rows);
}

DemoTopic autoscaling_topic(const std::filesystem::path& experiments_dir) {
  DemoTopic topic;
  topic.name = "autoscaling";
  topic.intro =
      "scalelab demo autoscaling: the supervisor's autoscaler (the Kubernetes HPA algorithm, 2 requests in flight\n"
      "per instance) under an open-loop ramp of 50 -> 600 -> 50 req/s: with its 4 s stabilization window, without\n"
      "one, and with a 3 s start-up; then a lab that scales to zero and the requests that pay for its cold start.";
  topic.description =
      "Who decides how many instances run, and what a start costs. The first three runs share one load ramp and "
      "one policy (2 requests in flight per instance, decided every 250 ms); they differ in the stabilization "
      "window and the instances' start-up time. The fourth lets an idle lab scale to zero, then sends 60 req/s.";
  topic.runs.push_back(demo_run_from(experiments_dir, "autoscale-ramp-window.yaml", "hpa"));
  topic.runs.push_back(demo_run_from(experiments_dir, "autoscale-flapping.yaml", "no window"));
  topic.runs.push_back(demo_run_from(experiments_dir, "autoscale-slow-start.yaml", "slow start"));
  topic.runs.push_back(demo_run_from(experiments_dir, "scale-to-zero.yaml", "to zero"));
  topic.conclusion = autoscaling_conclusion;
  topic.table = autoscaling_table;
  return topic;
}

}  // namespace scalelab::experiment
