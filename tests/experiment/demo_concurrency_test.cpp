// The concurrency lesson's table, conclusions and charts against the users, from
// synthetic journals: the closing lines are computed from the runs, so they change
// with the numbers, and a demo that is not a sweep draws no such chart.
#include <gtest/gtest.h>

#include "lab/experiment/demo.hpp"
#include "lab/journal/ceiling.hpp"
#include "lab/report/report.hpp"
#include "lab/report/report_sweep.hpp"

using namespace scalelab::experiment;
namespace journal = scalelab::journal;

namespace {

// A run of `model` at `users`, I/O-bound (50 ms) or CPU-bound (5 ms), serving `rps`
// with a p99 of `p99` ms, its instance holding `rss_mib` and `threads` at its peak.
journal::Journal run(const std::string& model, bool cpu, double users, double rps, double p99, double rss_mib,
                     double threads) {
  journal::Journal j;
  j.label = model + (cpu ? " cpu " : " io ") + std::to_string(static_cast<int>(users));
  j.verdict.status = "completed";
  j.experiment.cluster = {{"app_env", {{"SCALELAB_APP_MODEL", model}}}};
  journal::Capacity c;
  c.io_s = cpu ? 0 : 0.05;
  c.cpu_s = cpu ? 0.005 : 0;
  c.users = users;
  c.slots_per_instance = model == "pool" ? 24 : 3072;
  c.slots_reason = model == "pool" ? "24 balancer connections" : "3072 balancer connections";
  c.cores = 2;
  j.capacity = c;
  for (int t = 1; t <= 6; ++t) {
    journal::Sample s;
    s.t = static_cast<unsigned>(t);
    s.elapsed_s = t;
    s.interval_s = 1;
    s.counts.requests = static_cast<journal::Count>(rps);
    s.rps = rps;
    s.latency.p50 = cpu ? 5 : 50;
    s.ceiling = journal::ceiling_at(c, 1);
    s.apps = journal::Footprint{rss_mib * 1024 * 1024, threads};
    j.series.push_back(s);
  }
  journal::LoadRun load;
  journal::LoadTotals totals;
  totals.latency.p99 = p99;
  load.totals = totals;
  j.load = load;
  return j;
}

std::vector<journal::Journal> sweep() {
  return {run("pool", false, 10, 195, 52, 14, 34),
          run("thread-per-connection", false, 10, 195, 52, 14, 12),
          run("pool", false, 1000, 470, 2100, 15, 34),
          run("thread-per-connection", false, 1000, 3500, 700, 47, 1034),
          run("pool", true, 1000, 380, 190, 15, 34),
          run("thread-per-connection", true, 1000, 250, 3200, 36, 719)};
}

// The same sweep with the two event-loop models beside the threads.
std::vector<journal::Journal> sweep_with_loops() {
  auto runs = sweep();
  for (auto extra : {run("event-loop", false, 10, 190, 55, 15, 16), run("event-loop", false, 1000, 11000, 220, 39, 16),
                     run("event-loop", true, 1000, 195, 5200, 36, 16), run("event-loops", true, 1000, 360, 2900, 40, 17),
                     run("pool", true, 100, 365, 300, 16, 39), run("event-loop", true, 100, 199, 640, 17, 16)})
    runs.push_back(extra);
  return runs;
}

// A run at 1000 users on mixed work (50 ms of waiting and 2 ms of CPU a request).
journal::Journal mixed_run(const std::string& model, double rps) {
  journal::Journal j = run(model, true, 1000, rps, 3000, 37, 16);
  j.label = model + " mix 1000";
  j.capacity->io_s = 0.05;
  j.capacity->cpu_s = 0.002;
  if (model == "event-loop") j.capacity->cpu_threads_per_instance = 1;
  for (auto& s : j.series) s.ceiling = journal::ceiling_at(*j.capacity, 1);
  return j;
}

}  // namespace

TEST(DemoConcurrency, TheMixedWorkLineComesFromItsRuns) {
  auto runs = sweep();
  runs.push_back(mixed_run("pool", 450));
  runs.push_back(mixed_run("event-loop", 480));
  const std::string table = concurrency_table(runs);
  EXPECT_NE(table.find("mix    1000  event-loop                480     96%     3000       37       16\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("mixed work at 1000 users (50 ms waiting and 2 ms of CPU a request): the pool served 450/s "
                       "(limited by instances), one event loop 480/s (limited by cores, its ceiling 500/s); with some "
                       "CPU in every request, one loop's single thread caps it near the pool"),
            std::string::npos)
      << table;
  runs.back() = mixed_run("event-loop", 1000);  // not what one thread at 2 ms a request can do, but not near the pool
  EXPECT_EQ(concurrency_table(runs).find("caps it near the pool"), std::string::npos);
}

TEST(DemoConcurrency, TheTableEndsWithLinesComputedFromTheRuns) {
  const std::string table = concurrency_table(sweep());
  EXPECT_NE(table.find("io       10  pool                      195     98%       52       14       34\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("io     1000  thread-per-connection    3500     18%      700       47     1034\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("I/O-bound at 1000 users: the pool served 470/s, its ceiling being its connections over the wait "
                       "(480/s, limited by instances); a thread per connection served x7.4 that with 1034 threads\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("each extra thread cost about 33 KiB of resident memory"), std::string::npos) << table;
  EXPECT_NE(table.find("CPU-bound at 1000 users, where the cores are the ceiling (400/s): a thread per connection "
                       "served 250/s with p99 3200 ms, the pool 380/s with p99 190 ms; more threads than cores added "
                       "switching, not throughput; sharing the cores among every request stretched each one's latency"),
            std::string::npos)
      << table;
  // Other numbers, other lines.
  auto other = sweep();
  other[3] = run("thread-per-connection", false, 1000, 940, 700, 47, 1034);
  other[5] = run("thread-per-connection", true, 1000, 390, 200, 36, 719);
  const std::string changed = concurrency_table(other);
  EXPECT_NE(changed.find("served x2.0 that"), std::string::npos) << changed;
  EXPECT_NE(changed.find("a thread per connection served 390/s with p99 200 ms, the pool 380/s with p99 190 ms\n"),
            std::string::npos)
      << changed << "neither judgment holds for these numbers";
}

TEST(DemoConcurrency, TheEventLoopLinesComeFromTheirRuns) {
  const std::string table = concurrency_table(sweep_with_loops());
  EXPECT_NE(table.find("; one event loop x23.4 with 16 threads\n"), std::string::npos) << table;
  EXPECT_NE(table.find("a waiting connection cost about 33 KiB of resident memory as a thread, 25 KiB as a fiber on the "
                       "event loop (1.3 to 1)"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("one event loop at 1000 users stopped at 55 % of the users' ceiling, limited by client ("),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("CPU-bound at 1000 users: one event loop served 195/s, a loop per core 360/s (x1.8): one loop "
                       "uses one core, a loop per core uses them all"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("CPU-bound at 100 users, a request on one event loop waits for every burn queued before it: p99 "
                       "640 ms against the pool's 300 ms"),
            std::string::npos)
      << table;
  // With the machine's CPU busy, the same line names the cores' sharing as the bound.
  auto busy = sweep_with_loops();
  for (auto& sample : busy[7].series) sample.cpu_busy = 0.95;
  EXPECT_NE(concurrency_table(busy).find("stopped at 55 % of the users' ceiling, limited by cpu ("), std::string::npos)
      << concurrency_table(busy);
  // A loop that kept up with its users draws no "stopped at" line.
  auto kept_up = sweep_with_loops();
  kept_up[7] = run("event-loop", false, 1000, 19000, 60, 39, 16);
  EXPECT_EQ(concurrency_table(kept_up).find("stopped at"), std::string::npos);
}

TEST(DemoConcurrency, ConclusionsNameTheCeilingAndTheFootprint) {
  EXPECT_EQ(concurrency_conclusion(sweep()[2]),
            "pool, I/O-bound, 1000 users: 470 requests/s measured, 98 % of 1 instance x 24 balancer connections / 50 "
            "ms = 480 requests/s; p99 2100 ms; 15 MiB and 34 threads at peak");
}

TEST(DemoConcurrency, TheReportDrawsEachModelAgainstTheUsers) {
  journal::Demo demo;
  demo.topic = "concurrency";
  demo.runs = sweep();
  const auto charts = scalelab::report::sweep_charts(demo);
  ASSERT_EQ(charts.size(), 4u) << "throughput and p99, for each kind of work";
  const auto& io = charts[2].second;  // by work: CPU-bound's two first, then I/O-bound's
  EXPECT_EQ(io.title, "Throughput against users, I/O-bound");
  ASSERT_EQ(io.series.size(), 4u) << "each model and its ceiling";
  EXPECT_EQ(io.series[0].name, "pool");
  EXPECT_EQ(io.series[1].name, "pool ceiling");
  ASSERT_EQ(io.series[0].points.size(), 2u);
  EXPECT_DOUBLE_EQ(io.series[0].points[1].x, 3);  // log10(1000)
  EXPECT_DOUBLE_EQ(io.series[0].points[1].y, 470);
  const std::string html = scalelab::report::render_demo_report(demo);
  EXPECT_NE(html.find("Against the users"), std::string::npos);

  // Mixed work (a wait and a burn in every request) is a chart pair of its own, after
  // the I/O-bound pair, not points among the CPU-bound ones.
  journal::Journal mixed = run("event-loop", true, 1000, 470, 3000, 37, 16);
  mixed.capacity->io_s = 0.05;
  mixed.capacity->cpu_s = 0.002;
  demo.runs.push_back(mixed);
  const auto with_mix = scalelab::report::sweep_charts(demo);
  ASSERT_EQ(with_mix.size(), 6u);
  EXPECT_EQ(with_mix[4].second.title, "Throughput against users, mixed work");
  EXPECT_EQ(with_mix[0].second.series.size(), 4u) << "the CPU-bound pair holds the pool and the threads only";

  journal::Demo state;
  state.runs = {journal::Journal{}};
  state.runs[0].verdict.status = "completed";
  EXPECT_TRUE(scalelab::report::sweep_charts(state).empty()) << "no capacity: not a sweep";
}

// The fibers (M:N) lines: a loop per core against fibers on CPU-bound work at each
// number of users both ran, judged from their p99s.
TEST(DemoConcurrency, TheFibersLinesComeFromTheirRuns) {
  auto runs = sweep_with_loops();
  runs.push_back(run("event-loops", true, 10, 364, 267, 15, 17));
  runs.push_back(run("fibers", true, 10, 361, 54, 15, 17));
  runs.push_back(run("event-loops", true, 100, 361, 869, 17, 17));
  runs.push_back(run("fibers", true, 100, 365, 700, 17, 17));
  const std::string table = concurrency_table(runs);
  EXPECT_NE(table.find("cpu      10  fibers                    361     90%       54       15       17\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("CPU-bound at 10 users, on the same cores: a loop per core served 364/s with p99 267 ms, fibers "
                       "(M:N) 361/s with p99 54 ms: a connection stays on the loop it was dealt to and waits behind the "
                       "burns queued there, even with the other core free; M:N hands the next request to whichever "
                       "thread is free\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("CPU-bound at 100 users, on the same cores: a loop per core served 361/s with p99 869 ms, fibers "
                       "(M:N) 365/s with p99 700 ms: the loops' queues stayed even at this load, so handing work to a "
                       "free thread changed little\n"),
            std::string::npos)
      << table;
  runs.back() = run("fibers", true, 100, 365, 1400, 17, 17);
  EXPECT_NE(concurrency_table(runs).find("p99 1400 ms: here sharing one queue among the threads cost more than the "
                                         "loops' uneven queues"),
            std::string::npos)
      << concurrency_table(runs);
  // Without fibers' runs, no such line.
  EXPECT_EQ(concurrency_table(sweep_with_loops()).find("fibers (M:N)"), std::string::npos);
}
