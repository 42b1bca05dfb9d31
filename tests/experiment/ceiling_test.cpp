// The ceiling of a run (lab/journal/ceiling.hpp): which bound Little's law picks, its
// arithmetic in words, the phases of a run with what limited each, the journal's JSON,
// and the report's table and chart line.
#include <gtest/gtest.h>

#include "lab/journal/ceiling.hpp"
#include "lab/journal/journal.hpp"
#include "lab/journal/journal_json.hpp"
#include "lab/report/report.hpp"

using namespace scalelab::journal;

namespace {

// 50 ms of waiting per request, 32 users, instances of 6 connections each, 2 cores.
Capacity io_bound() {
  Capacity c;
  c.io_s = 0.05;
  c.users = 32;
  c.slots_per_instance = 6;
  c.slots_reason = "6 balancer connections";
  c.cores = 2;
  return c;
}

// `seconds` seconds from `start` at `rps`, with `instances` ready, a median of `p50`
// ms and the machine's CPU at `cpu`.
void add_seconds(Journal& run, int seconds, double rps, double instances, double p50, double cpu) {
  for (int i = 0; i < seconds; ++i) {
    Sample s;
    s.t = static_cast<unsigned>(run.series.size() + 1);
    s.elapsed_s = s.t;
    s.interval_s = 1.0;
    s.counts.requests = static_cast<Count>(rps);
    s.rps = rps;
    s.latency.p50 = p50;
    s.cpu_busy = cpu;
    s.ceiling = ceiling_at(*run.capacity, instances);
    run.series.push_back(s);
  }
}

}  // namespace

TEST(Ceiling, TheSmallestBoundWins) {
  Capacity c = io_bound();
  EXPECT_EQ(ceiling_at(c, 1)->bound, "instances");
  EXPECT_DOUBLE_EQ(ceiling_at(c, 1)->rps, 120);  // 1 x 6 / 0.05
  EXPECT_EQ(ceiling_at(c, 8)->bound, "users");   // 8 x 6 = 48 slots > 32 users
  EXPECT_DOUBLE_EQ(ceiling_at(c, 8)->rps, 640);
  EXPECT_EQ(ceiling_at(c, 1, 50.0)->bound, "offered load");
  c.cpu_s = 0.01;  // now 60 ms a request, 10 of them CPU: 2 cores give 200 a second
  EXPECT_EQ(ceiling_at(c, 4)->bound, "cores");
  EXPECT_DOUBLE_EQ(ceiling_at(c, 4)->rps, 200);
  EXPECT_DOUBLE_EQ(ceiling_at(c, 1)->rps, 100);  // 6 / 0.06 is below the cores' 200
  EXPECT_FALSE(ceiling_at(Capacity{}, 3)) << "no service time and no offered rate: no ceiling";
  EXPECT_EQ(ceiling_at(Capacity{}, 3, 10.0)->bound, "offered load");
}

TEST(Ceiling, ExplainsItsArithmetic) {
  Capacity c = io_bound();
  EXPECT_EQ(explain(c, *ceiling_at(c, 4)), "4 instances x 6 balancer connections / 50 ms = 480 requests/s");
  EXPECT_EQ(explain(c, *ceiling_at(c, 1)), "1 instance x 6 balancer connections / 50 ms = 120 requests/s");
  EXPECT_EQ(explain(c, *ceiling_at(c, 9)), "32 users / 50 ms = 640 requests/s");
  c.io_s = 0;
  c.cpu_s = 0.005;
  EXPECT_EQ(explain(c, *ceiling_at(c, 9)), "2 cores / 5.0 ms of CPU = 400 requests/s");
  EXPECT_EQ(explain(c, *ceiling_at(c, 9, 30.0)), "the 30 requests/s the load offers");
}

TEST(Ceiling, PhasesSettleAndNameWhatHeldTheRunBack) {
  Journal run;
  run.capacity = io_bound();
  add_seconds(run, 6, 118, 1, 51, 0.1);   // at the ceiling: the instances
  add_seconds(run, 6, 150, 2, 60, 0.97);  // far below it with the cores busy: the CPU
  add_seconds(run, 6, 200, 4, 160, 0.3);  // far below, requests waiting: queueing
  add_seconds(run, 6, 300, 8, 52, 0.3);   // far below, neither: the client
  const auto phases = ceiling_phases(run);
  ASSERT_EQ(phases.size(), 4u);
  EXPECT_DOUBLE_EQ(phases[0].from_s, 2) << "the first 2 s after a change are left out";
  EXPECT_DOUBLE_EQ(phases[0].to_s, 6);
  EXPECT_EQ(phases[0].limited_by, "instances");
  EXPECT_NEAR(phases[0].efficiency, 118.0 / 120, 1e-9);
  EXPECT_EQ(phases[0].why, "118 requests/s measured, 98 % of 1 instance x 6 balancer connections / 50 ms = 120 requests/s");
  EXPECT_EQ(phases[1].limited_by, "cpu");
  EXPECT_NE(phases[1].why.find("the machine's 2 cores were 97 % busy"), std::string::npos) << phases[1].why;
  EXPECT_EQ(phases[2].limited_by, "queueing");
  EXPECT_NE(phases[2].why.find("a median request took 160.0 ms for 50.0 ms of work"), std::string::npos)
      << phases[2].why;
  EXPECT_EQ(phases[3].limited_by, "client");
  EXPECT_EQ(phases[3].ceiling.bound, "users");
  EXPECT_DOUBLE_EQ(phases[3].ceiling.instances, 8);

  Journal none;
  none.series = run.series;
  EXPECT_TRUE(ceiling_phases(none).empty()) << "no capacity, no phases";

  Journal at_zero;
  at_zero.capacity = io_bound();
  add_seconds(at_zero, 6, 0, 0, 0, 0.1);  // scaled to zero: a ceiling of 0
  add_seconds(at_zero, 6, 118, 1, 51, 0.1);
  ASSERT_EQ(ceiling_phases(at_zero).size(), 1u) << "a stretch with nothing ready has nothing to measure against";
  EXPECT_DOUBLE_EQ(ceiling_phases(at_zero)[0].ceiling.instances, 1);
}

TEST(Ceiling, TheJournalKeepsCapacityCeilingsAndCpu) {
  Journal run;
  run.verdict.status = "completed";
  run.capacity = io_bound();
  add_seconds(run, 3, 100, 2, 50, 0.25);
  const Journal back = parse_journal(to_json(run));
  ASSERT_TRUE(back.capacity);
  EXPECT_DOUBLE_EQ(back.capacity->io_s, 0.05);
  EXPECT_EQ(back.capacity->users, 32);
  EXPECT_EQ(back.capacity->slots_reason, "6 balancer connections");
  ASSERT_EQ(back.series.size(), 3u);
  ASSERT_TRUE(back.series[1].ceiling);
  EXPECT_DOUBLE_EQ(back.series[1].ceiling->rps, 240);
  EXPECT_EQ(back.series[1].ceiling->bound, "instances");
  EXPECT_DOUBLE_EQ(*back.series[1].cpu_busy, 0.25);

  nlohmann::json bad = to_json(run);
  bad["capacity"]["io_s"] = "fast";
  EXPECT_THROW(parse_journal(bad), std::invalid_argument);
}

TEST(Ceiling, TheReportDrawsTheLineAndTabulatesThePhases) {
  Journal run;
  run.verdict.status = "completed";
  run.experiment.title = "ceiling";
  run.capacity = io_bound();
  add_seconds(run, 8, 118, 1, 51, 0.1);
  const std::string html = scalelab::report::render_report(to_json(run));
  EXPECT_NE(html.find("Throughput against its ceiling"), std::string::npos);
  EXPECT_NE(html.find("ceiling (Little&#39;s law)"), std::string::npos);
  EXPECT_NE(html.find("1 instance x 6 balancer connections / 50 ms = 120 requests/s"), std::string::npos);

  run.capacity.reset();
  for (auto& s : run.series) s.ceiling.reset();
  const std::string plain = scalelab::report::render_report(to_json(run));
  EXPECT_EQ(plain.find("Throughput against its ceiling"), std::string::npos);
}
