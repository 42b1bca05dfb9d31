// `scalelab demo concurrency`: what an instance's concurrency model does to its ceiling.
// One instance, the same route, a sweep: 10, 100 and 1000 virtual users, on I/O-bound
// work (each request waits 50 ms), CPU-bound work (each burns 5 ms) and a mix (each
// waits 50 ms and burns 2 ms), once per model (services/app/concurrency_model.hpp): a
// pool of 32 workers, a thread per connection, one event loop, a loop per core, and
// fibers on a thread per core (M:N) where they part ways with a loop per core (runs_at). Every
// figure stands beside its ceiling (lab/journal/ceiling.hpp), and the table's closing
// lines are computed from the runs, not written in advance.
//
// 5000 users are left out: on this 2-core machine the load generator, the balancer and
// 5000 threads of the instance would share the cores, and the run would measure the
// machine rather than the model; 1000 already shows every shape.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "lab/experiment/demo.hpp"
#include "lab/journal/ceiling.hpp"

namespace scalelab::experiment {
namespace {

constexpr unsigned kUsers[] = {10, 100, 1000};
constexpr const char* kModels[] = {"pool", "thread-per-connection", "event-loop", "event-loops", "fibers"};

// What each request of a run does (/api/work?io_ms=&cpu_ms=), and whether the run sweeps
// the users or takes only the most (the mix, to keep the demo under 3 minutes: every
// run needs 4 s, two to settle and two to measure).
struct Work {
  const char* name;
  int io_ms, cpu_ms;
  bool sweep;
};
constexpr Work kWorks[] = {{"io", 50, 0, true}, {"cpu", 0, 5, true}, {"mix", 50, 2, false}};

// The run labels' name for each model: "pool io 1000", "loops cpu 10".
std::string short_name(const std::string& model) {
  if (model == "thread-per-connection") return "threads";
  if (model == "event-loop") return "loop";
  if (model == "event-loops") return "loops";
  return model;
}

// Whether `model` runs at this point of the sweep. Fibers (M:N) run where they part
// ways with a loop per core: CPU-bound work below the most users, where a connection
// dealt to a burning loop waits though the other core is free. Elsewhere they repeat a
// loop per core's figures (I/O-bound, they park every waiting connection as the loops
// do: ConcurrencyModel.EventLoopsAndFibersParkEveryWaitingConnectionNoneInLine), and
// the demo keeps to 3 minutes.
bool runs_at(const std::string& model, const Work& w, unsigned users) {
  const bool most = users == kUsers[std::size(kUsers) - 1];
  if (!w.sweep && !most) return false;
  return model != "fibers" || (std::string(w.name) == "cpu" && !most);
}

// How many requests burn CPU at once on `model`: one loop's one thread, or every core.
unsigned burning_at_once(const std::string& model) {
  return model == "event-loop" ? 1 : std::max(1u, std::thread::hardware_concurrency());
}

std::string work_of(const journal::Journal& run) { return run.capacity ? run.capacity->work() : "io"; }
std::string work_title(const std::string& work) {
  if (work == "io") return "I/O-bound";
  if (work == "cpu") return "CPU-bound";
  return "mixed";
}
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

// One table row's figures: requests/s, share of the ceiling, p99, peak RSS and threads.
std::string row_figures(const Figures& f) {
  if (!f.phase) return "no settled second";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%7s %6s%% %8s %8s %8s", whole_number(f.phase->measured_rps).c_str(),
                whole_number(100 * f.phase->efficiency).c_str(), whole_number(f.p99).c_str(),
                whole_number(f.rss_mib).c_str(), whole_number(f.threads).c_str());
  std::string text = buf;
  if (f.failed > 0) text += "  " + whole_number(f.failed) + " failed";
  return text;
}

// Resident memory one more waiting connection cost `model`, from its I/O-bound runs at
// the fewest and the most users: per thread for a model that adds threads, per
// connection otherwise. nullopt when the runs do not show it.
std::optional<double> kib_per_connection(const std::map<RunKey, Figures>& by, const char* model) {
  const auto few = by.find({"io", kUsers[0], model});
  const auto most = by.find({"io", kUsers[std::size(kUsers) - 1], model});
  if (few == by.end() || most == by.end()) return std::nullopt;
  const bool threads_grow = most->second.threads - few->second.threads > 100;
  const double more = threads_grow ? most->second.threads - few->second.threads
                                   : double(kUsers[std::size(kUsers) - 1] - kUsers[0]);
  const double grew = (most->second.rss_mib - few->second.rss_mib) * 1024;
  if (more <= 0 || grew <= 0) return std::nullopt;
  return grew / more;
}

// What the sweep showed, each line computed from the runs it names.
std::vector<std::string> closing_lines(const std::map<RunKey, Figures>& by) {
  std::vector<std::string> lines;
  const unsigned most = kUsers[std::size(kUsers) - 1];
  const auto at = [&](const char* work, unsigned users, const char* model) -> const Figures* {
    const auto it = by.find({work, users, model});
    return it != by.end() && it->second.phase ? &it->second : nullptr;
  };
  const auto rps = [](const Figures* f) { return f->phase->measured_rps; };
  const auto times = [&](const Figures* a, const Figures* b) { return "x" + fixed(rps(a) / std::max(1.0, rps(b)), 1); };
  const std::string at_most = " at " + std::to_string(most) + " users";
  if (const Figures* pool = at("io", most, "pool")) {
    std::string line = "I/O-bound" + at_most + ": the pool served " + whole_number(rps(pool)) +
                       "/s, its ceiling being its connections over the wait (" + whole_number(pool->phase->ceiling.rps) +
                       "/s, limited by " + pool->phase->limited_by + ")";
    if (const Figures* threads = at("io", most, "thread-per-connection"))
      line += "; a thread per connection served " + times(threads, pool) + " that with " + whole_number(threads->threads) +
              " threads";
    if (const Figures* loop = at("io", most, "event-loop"))
      line += "; one event loop " + times(loop, pool) + " with " + whole_number(loop->threads) + " threads";
    lines.push_back(line);
  }
  const auto thread_kib = kib_per_connection(by, "thread-per-connection");
  const auto fiber_kib = kib_per_connection(by, "event-loop");
  if (thread_kib && fiber_kib)
    lines.push_back("a waiting connection cost about " + whole_number(*thread_kib) + " KiB of resident memory as a thread, " +
                    whole_number(*fiber_kib) + " KiB as a fiber on the event loop (" + fixed(*thread_kib / std::max(0.1, *fiber_kib), 1) +
                    " to 1)");
  else if (thread_kib)
    lines.push_back("each extra thread cost about " + whole_number(*thread_kib) + " KiB of resident memory");
  if (const Figures* loop = at("io", most, "event-loop"); loop && loop->phase->efficiency < 0.8)
    lines.push_back("one event loop" + at_most + " stopped at " + whole_number(100 * loop->phase->efficiency) +
                    " % of the users' ceiling, limited by " + loop->phase->limited_by + " (" + loop->phase->why + ")");
  const Figures *pool = at("cpu", most, "pool"), *threads = at("cpu", most, "thread-per-connection");
  if (pool && threads) {
    std::string line = "CPU-bound" + at_most + ", where the cores are the ceiling (" + whole_number(pool->phase->ceiling.rps) +
                       "/s): a thread per connection served " + whole_number(rps(threads)) + "/s with p99 " +
                       whole_number(threads->p99) + " ms, the pool " + whole_number(rps(pool)) + "/s with p99 " +
                       whole_number(pool->p99) + " ms";
    if (pool->failed > 0) line += " and " + whole_number(pool->failed) + " requests shed at the balancer's queue";
    if (rps(threads) < rps(pool)) line += "; more threads than cores added switching, not throughput";
    if (threads->p99 > 1.5 * pool->p99) line += "; sharing the cores among every request stretched each one's latency";
    lines.push_back(line);
  }
  const Figures *loop = at("cpu", most, "event-loop"), *loops = at("cpu", most, "event-loops");
  if (loop && loops) {
    std::string line = "CPU-bound" + at_most + ": one event loop served " + whole_number(rps(loop)) + "/s, a loop per core " +
                       whole_number(rps(loops)) + "/s (" + times(loops, loop) + ")";
    if (rps(loops) > 1.3 * rps(loop)) line += ": one loop uses one core, a loop per core uses them all";
    lines.push_back(line);
  }
  if (const Figures *mix_pool = at("mix", most, "pool"), *mix_loop = at("mix", most, "event-loop"); mix_pool && mix_loop) {
    std::string line = "mixed work" + at_most + " (50 ms waiting and 2 ms of CPU a request): the pool served " +
                       whole_number(rps(mix_pool)) + "/s (limited by " + mix_pool->phase->limited_by + "), one event loop " +
                       whole_number(rps(mix_loop)) + "/s (limited by " + mix_loop->phase->limited_by + ", its ceiling " +
                       whole_number(mix_loop->phase->ceiling.rps) + "/s)";
    for (const char* model : {"thread-per-connection", "event-loops"})
      if (const Figures* f = at("mix", most, model))
        line += ", " + short_name(model) + " " + whole_number(rps(f)) + "/s (limited by " + f->phase->limited_by + ")";
    if (rps(mix_loop) < 1.5 * rps(mix_pool))
      line += "; with some CPU in every request, one loop's single thread caps it near the pool: waiting without a "
              "thread stops paying once every request also burns CPU";
    lines.push_back(line);
  }
  for (unsigned users : kUsers) {
    const Figures *loops = at("cpu", users, "event-loops"), *fibers = at("cpu", users, "fibers");
    if (!loops || !fibers) continue;
    std::string line = "CPU-bound at " + std::to_string(users) + " users, on the same cores: a loop per core served " +
                       whole_number(rps(loops)) + "/s with p99 " + whole_number(loops->p99) + " ms, fibers (M:N) " +
                       whole_number(rps(fibers)) + "/s with p99 " + whole_number(fibers->p99) + " ms";
    if (fibers->p99 < 0.67 * loops->p99)
      line += ": a connection stays on the loop it was dealt to and waits behind the burns queued there, even with "
              "the other core free; M:N hands the next request to whichever thread is free";
    else if (fibers->p99 > 1.5 * loops->p99)
      line += ": here sharing one queue among the threads cost more than the loops' uneven queues";
    else
      line += ": the loops' queues stayed even at this load, so handing work to a free thread changed little";
    lines.push_back(line);
  }
  const unsigned middle = kUsers[std::size(kUsers) / 2];
  if (const Figures *mid_loop = at("cpu", middle, "event-loop"), *mid_pool = at("cpu", middle, "pool");
      mid_loop && mid_pool && mid_loop->p99 > 1.5 * mid_pool->p99)
    lines.push_back("CPU-bound at " + std::to_string(middle) + " users, a request on one event loop waits for every burn queued before it: p99 " +
                    whole_number(mid_loop->p99) + " ms against the pool's " + whole_number(mid_pool->p99) + " ms");
  return lines;
}

}  // namespace

std::string concurrency_conclusion(const journal::Journal& run) {
  const Figures f = figures_of(run);
  std::string line = journal::app_model(run) + ", " + work_title(work_of(run)) + ", " + std::to_string(users_of(run)) +
                     " users: ";
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
  std::snprintf(line, sizeof line, "%-5s %5s  %-21s %7s %7s %8s %8s %8s\n", "work", "users", "model", "req/s",
                "ceiling", "p99 ms", "RSS MiB", "threads");
  out += line;
  for (const Work& w : kWorks) {
    const char* work = w.name;
    for (unsigned users : kUsers) {
      for (const char* model : kModels) {
        const auto it = by.find({work, users, model});
        if (it == by.end()) continue;
        std::snprintf(line, sizeof line, "%-5s %5u  %-21s %s\n", work, users, model, row_figures(it->second).c_str());
        out += line;
      }
    }
  }
  out += "(ceiling: the share of what Little's law allows the run; RSS and threads: the instance's peak)\n";
  for (const std::string& l : closing_lines(by)) out += "- " + l + "\n";
  return out;
}

DemoTopic concurrency_topic(const std::filesystem::path& experiments_dir) {
  DemoTopic topic;
  topic.name = "concurrency";
  topic.intro =
      "scalelab demo concurrency: one instance behind the balancer, 10, 100 and 1000 users, I/O-bound (50 ms of\n"
      "waiting a request) and CPU-bound (5 ms of burning), then 1000 users on mixed work (50 ms of waiting and\n"
      "2 ms of burning), on a pool of 32 workers, a thread per connection, one event loop, a loop per core, and\n"
      "fibers on a thread per core (M:N) where they part ways with a loop per core.";
  topic.description =
      "What an instance's concurrency model does to its ceiling. Every run has one instance and the same route; "
      "the runs differ in the users, in whether a request waits, burns CPU or both, and in how the instance "
      "serves connections at once. Each figure stands beside the ceiling Little's law gives for its run.";
  const DemoRun base = demo_run_from(experiments_dir, "models-pool-io-bound.yaml", "base");
  for (const Work& w : kWorks) {
    for (unsigned users : kUsers) {
      const bool most = users == kUsers[std::size(kUsers) - 1];
      for (const char* model : kModels) {
        if (!runs_at(model, w, users)) continue;
        DemoRun run = base;
        run.label = short_name(model) + " " + w.name + " " + std::to_string(users);
        Experiment& x = run.experiment;
        x.title = std::string(model) + ", " + work_title(w.name) + ", " + std::to_string(users) + " users";
        x.cluster.app_env["SCALELAB_APP_MODEL"] = model;
        // Nothing reaches the instance once its run's load is over, so bringing the lab
        // down need not wait for the balancer to notice a drain (1.5 s a run otherwise).
        x.cluster.app_env["SCALELAB_DRAIN_GRACE_MS"] = "0";
        x.load.users = users;
        // With CPU in every request and the most users, a request waits for every burn
        // queued before it, shared among the threads that burn at once: on one event
        // loop 1000 x 5 ms = 5 s of CPU-bound work, 1000 x 2 ms = 2 s of mixed; half
        // that on two cores. The run lasts long enough for requests that waited that
        // long to finish, and two seconds more, so p99 shows the wait.
        const int queue_s =
            most ? static_cast<int>(std::ceil(users * w.cpu_ms / 1000.0 / burning_at_once(model))) : 0;
        x.load.duration = std::chrono::seconds(std::max(4, queue_s + 2));
        x.load.work_io_ms = w.io_ms;
        x.load.work_cpu_ms = w.cpu_ms;
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
