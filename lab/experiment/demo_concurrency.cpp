// `scalelab demo concurrency`: what an instance's concurrency model does to its ceiling.
// One instance, the same route, a sweep: 10, 100 and 1000 virtual users, on I/O-bound
// work (each request waits 50 ms) and on CPU-bound work (each burns 5 ms), once per
// model (services/app/concurrency_model.hpp): a pool of 32 workers, and a thread per
// connection. Every figure stands beside its ceiling (lab/journal/ceiling.hpp), and the
// table's closing lines are computed from the runs, not written in advance.
//
// 5000 users are left out: on this 2-core machine the load generator, the balancer and
// 5000 threads of the instance would share the cores, and the run would measure the
// machine rather than the model; 1000 already shows every shape.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "lab/experiment/demo.hpp"
#include "lab/journal/ceiling.hpp"

namespace scalelab::experiment {
namespace {

constexpr unsigned kUsers[] = {10, 100, 1000};
constexpr const char* kModels[] = {"pool", "thread-per-connection"};

bool cpu_bound(const journal::Journal& run) { return run.capacity && run.capacity->cpu_s > 0; }
std::string work_of(const journal::Journal& run) { return cpu_bound(run) ? "cpu" : "io"; }
unsigned users_of(const journal::Journal& run) {
  return run.capacity && run.capacity->users ? static_cast<unsigned>(*run.capacity->users) : 0;
}

// A run's numbers: throughput against its ceiling (its one phase: one instance), the
// load's own latency percentiles, and what the instance's process held at its peak.
struct Figures {
  std::optional<journal::CeilingPhase> phase;
  double p50 = 0, p99 = 0;
  double rss_mib = 0, threads = 0;
  double failed = 0, requests = 0;
};

Figures figures_of(const journal::Journal& run) {
  Figures f;
  const auto phases = journal::ceiling_phases(run);
  if (!phases.empty()) f.phase = phases.front();
  if (run.load && run.load->totals) {
    f.p50 = run.load->totals->latency.p50;
    f.p99 = run.load->totals->latency.p99;
  }
  for (const journal::Sample& s : run.series)
    if (s.apps) {
      f.rss_mib = std::max(f.rss_mib, s.apps->rss_bytes / (1024.0 * 1024.0));
      f.threads = std::max(f.threads, s.apps->threads);
    }
  const journal::Totals t = run.totals();
  f.failed = t.errors;
  f.requests = t.requests;
  return f;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The runs by (work, users, model), for the table's rows and the closing lines.
using RunKey = std::tuple<std::string, unsigned, std::string>;
std::map<RunKey, Figures> figures_by_point(const std::vector<journal::Journal>& runs) {
  std::map<RunKey, Figures> by;
  for (const journal::Journal& r : runs) by[{work_of(r), users_of(r), journal::app_model(r)}] = figures_of(r);
  return by;
}

// One table cell: "472/s 98% p99 54ms 15MiB 34t".
std::string cell(const Figures& f) {
  if (!f.phase) return "-";
  std::string text = whole_number(f.phase->measured_rps) + "/s " + whole_number(100 * f.phase->efficiency) + "% p99 " +
                     whole_number(f.p99) + "ms " + whole_number(f.rss_mib) + "MiB " + whole_number(f.threads) + "t";
  if (f.failed > 0) text += " " + whole_number(f.failed) + " failed";
  return text;
}

// What the sweep showed, each line computed from two of its runs.
std::vector<std::string> closing_lines(const std::map<RunKey, Figures>& by) {
  std::vector<std::string> lines;
  const unsigned most = kUsers[std::size(kUsers) - 1];
  const auto at = [&](const char* work, unsigned users, const char* model) -> const Figures* {
    const auto it = by.find({work, users, model});
    return it != by.end() && it->second.phase ? &it->second : nullptr;
  };
  if (const Figures *pool = at("io", most, "pool"), *threads = at("io", most, "thread-per-connection"); pool && threads) {
    lines.push_back("I/O-bound at " + std::to_string(most) + " users: a thread per connection served x" +
                    fixed(threads->phase->measured_rps / std::max(1.0, pool->phase->measured_rps), 1) +
                    " the pool, whose ceiling is its connections over the wait (" +
                    whole_number(pool->phase->ceiling.rps) + "/s, limited by " + pool->phase->limited_by + ")");
    if (threads->threads > pool->threads)
      lines.push_back("each extra thread cost about " +
                      whole_number((threads->rss_mib - pool->rss_mib) * 1024 / (threads->threads - pool->threads)) +
                      " KiB of resident memory (" + whole_number(threads->threads) + " threads, " +
                      whole_number(threads->rss_mib) + " MiB, against " + whole_number(pool->threads) + " and " +
                      whole_number(pool->rss_mib) + " MiB)");
  }
  if (const Figures *pool = at("cpu", most, "pool"), *threads = at("cpu", most, "thread-per-connection"); pool && threads) {
    std::string line = "CPU-bound at " + std::to_string(most) + " users, where the cores are the ceiling (" +
                       whole_number(pool->phase->ceiling.rps) + "/s): a thread per connection served " +
                       whole_number(threads->phase->measured_rps) + "/s with p99 " + whole_number(threads->p99) +
                       " ms, the pool " + whole_number(pool->phase->measured_rps) + "/s with p99 " +
                       whole_number(pool->p99) + " ms";
    if (pool->failed > 0) line += " and " + whole_number(pool->failed) + " requests shed at the balancer's queue";
    if (threads->phase->measured_rps < pool->phase->measured_rps) line += "; more threads than cores added switching, not throughput";
    if (threads->p99 > 1.5 * pool->p99) line += "; sharing the cores among every request stretched each one's latency";
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

std::string concurrency_conclusion(const journal::Journal& run) {
  const Figures f = figures_of(run);
  std::string line = journal::app_model(run) + ", " + (cpu_bound(run) ? "CPU-bound" : "I/O-bound") + ", " +
                     std::to_string(users_of(run)) + " users: ";
  if (!f.phase || !run.capacity) return line + "no second of load to measure";
  line += f.phase->why + "; p99 " + whole_number(f.p99) + " ms; " + whole_number(f.rss_mib) + " MiB and " +
          whole_number(f.threads) + " threads at peak";
  if (f.failed > 0) line += "; " + whole_number(f.failed) + " of " + whole_number(f.requests) + " requests failed";
  return line;
}

std::string concurrency_table(const std::vector<journal::Journal>& runs) {
  const auto by = figures_by_point(runs);
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-6s %6s  %-44s %-44s\n", "work", "users", "pool (32 workers)",
                "thread-per-connection");
  out += line;
  for (const char* work : {"io", "cpu"}) {
    for (unsigned users : kUsers) {
      std::string cells[2];
      for (std::size_t m = 0; m < std::size(kModels); ++m) {
        const auto it = by.find({work, users, kModels[m]});
        cells[m] = it == by.end() ? "-" : cell(it->second);
      }
      std::snprintf(line, sizeof line, "%-6s %6u  %-44s %-44s\n", work, users, cells[0].c_str(), cells[1].c_str());
      out += line;
    }
  }
  out += "(each cell: requests/s, share of its ceiling, p99, the instance's peak RSS and threads)\n";
  for (const std::string& l : closing_lines(by)) out += "- " + l + "\n";
  return out;
}

DemoTopic concurrency_topic(const std::filesystem::path& experiments_dir) {
  DemoTopic topic;
  topic.name = "concurrency";
  topic.intro =
      "scalelab demo concurrency: one instance behind the balancer, 10, 100 and 1000 users, I/O-bound (50 ms of\n"
      "waiting a request) and CPU-bound (5 ms of burning), on a pool of 32 workers and on a thread per connection.";
  topic.description =
      "What an instance's concurrency model does to its ceiling. Every run has one instance and the same route; "
      "the runs differ in the users, in whether a request waits or burns CPU, and in how the instance serves "
      "connections at once. Each figure stands beside the ceiling Little's law gives for its run.";
  const DemoRun base = demo_run_from(experiments_dir, "models-pool-io-bound.yaml", "base");
  for (const char* work : {"io", "cpu"}) {
    for (unsigned users : kUsers) {
      for (const char* model : kModels) {
        DemoRun run = base;
        run.label = std::string(model == std::string("pool") ? "pool" : "threads") + " " + work + " " +
                    std::to_string(users);
        Experiment& x = run.experiment;
        x.title = std::string(model) + ", " + (work == std::string("io") ? "I/O" : "CPU") + "-bound, " +
                  std::to_string(users) + " users";
        x.cluster.app_env["SCALELAB_APP_MODEL"] = model;
        x.load.users = users;
        x.load.duration = std::chrono::seconds(6);
        x.load.work_io_ms = work == std::string("io") ? 50 : 0;
        x.load.work_cpu_ms = work == std::string("io") ? 0 : 5;
        // Only "no failed request": the pool at 1000 users may shed load at the
        // balancer's queue timeout, and that is part of what the run shows.
        x.probes.erase(std::remove_if(x.probes.begin(), x.probes.end(),
                                      [](const ProbeSpec& p) { return p.type != "error_rate"; }),
                       x.probes.end());
        topic.runs.push_back(std::move(run));
      }
    }
  }
  topic.conclusion = concurrency_conclusion;
  topic.table = concurrency_table;
  return topic;
}

}  // namespace scalelab::experiment
