// The demos' side-by-side tables and their one-line conclusions, from journals alone, and the
// instance count read back from scale events (journal/scaling.hpp).
#include <gtest/gtest.h>

#include "lab/experiment/demo.hpp"
#include "lab/journal/scaling.hpp"

using namespace scalelab::experiment;
namespace journal = scalelab::journal;

namespace {

journal::Journal run(const std::string& label, int lost_before, int lost_after, int failed) {
  journal::Journal j;
  j.label = label;
  for (int t = 1; t <= 10; ++t) {
    journal::Sample s;
    s.elapsed_s = t;
    s.counts.requests = 100;
    s.counts.errors = t == 6 ? failed : 0;
    s.counts.violations = {{"session_lost", t <= 5 ? lost_before : lost_after}};
    s.counts.checks = {{"session", 50}};
    j.series.push_back(s);
  }
  journal::Action kill;
  kill.name = "kill app-2";
  kill.started_s = 5.0;
  j.actions.push_back(kill);
  j.verdict.status = lost_before + lost_after ? "deviated" : "completed";
  return j;
}

}  // namespace

TEST(DemoText, ConclusionsFollowTheNumbers) {
  EXPECT_EQ(conclusion_for(run("shared", 0, 0, 3)),
            "state held: no request saw lost or stale state in 1000 requests; the kill cost 3 failed requests (0.3 %)");
  EXPECT_EQ(conclusion_for(run("local", 33, 33, 0)),
            "state broke from the start: session_lost 330 (66.0 % of session checks) - each instance knows only the "
            "state it created");
  EXPECT_EQ(conclusion_for(run("local+sticky", 0, 4, 0)),
            "state looked fine until the kill at 5 s, then broke: session_lost 20 (4.0 % of session checks) - affinity "
            "cannot save in-memory state when its instance dies");
}

TEST(DemoText, TableHasAColumnPerModeAndARowPerJudgedKind) {
  const std::string table = summary_table({run("shared", 0, 0, 3), run("local", 33, 33, 0)});
  EXPECT_NE(table.find("shared"), std::string::npos);
  EXPECT_NE(table.find("local"), std::string::npos);
  for (const char* row : {"requests", "failed requests", "session_lost", "verdict"})
    EXPECT_NE(table.find(row), std::string::npos) << row;
  // These runs checked sessions only: no row for kinds nobody judged.
  for (const char* row : {"cart_lost_write", "order_lost", "oversold"}) EXPECT_EQ(table.find(row), std::string::npos) << row;
  EXPECT_NE(table.find("330 (66.0 %)"), std::string::npos) << table;
  EXPECT_NE(table.find("3 (0.3 %)"), std::string::npos) << table;
}

namespace {

// An autoscaled run: the count from `instances`, then `scales` ("A -> B (autoscaler)"
// at their times), 10 one-second samples of 100 requests.
journal::Journal scaled_run(const std::string& label, int instances,
                            const std::vector<std::pair<double, std::string>>& scales, double worst_p99_ms = 50) {
  journal::Journal j;
  j.label = label;
  j.experiment.cluster = {{"instances", instances}, {"autoscale", "min=1,max=4,metric=rps,target=150"}};
  j.events.push_back({-1.0, "scale", "", "9 -> " + std::to_string(instances) + " (ignored: before t0, same count)"});
  for (const auto& [t, detail] : scales) j.events.push_back({t, "scale", "", detail});
  j.events.push_back({3.0, "kill", "app-1", "signal KILL"});
  for (int t = 1; t <= 10; ++t) {
    journal::Sample s;
    s.elapsed_s = t;
    s.counts.requests = 100;
    s.latency.p99 = t == 5 ? worst_p99_ms : 10;
    j.series.push_back(s);
  }
  j.verdict.status = "completed";
  return j;
}

}  // namespace

TEST(Scaling, TheCountIsReadBackFromScaleEvents) {
  const auto run = scaled_run("hpa", 1, {{2.0, "1 -> 3 (autoscaler)"}, {4.0, "3 -> 3"}, {6.0, "3 -> 2 (autoscaler)"},
                                         {7.0, "not a count"}, {8.0, "2 -> 4"}});
  const auto steps = journal::instance_count_steps(run);
  ASSERT_EQ(steps.size(), 4u);  // 1, then 3 at 2 s, 2 at 6 s, 4 at 8 s
  EXPECT_EQ(journal::count_at(steps, 1.9), 1);
  EXPECT_EQ(journal::count_at(steps, 2.0), 3);
  EXPECT_EQ(journal::count_at(steps, 9.0), 4);
  // 1 x 2 s + 3 x 4 s + 2 x 2 s + 4 x 2 s
  EXPECT_DOUBLE_EQ(journal::instance_seconds(steps, 10), 2 + 12 + 4 + 8);
  EXPECT_DOUBLE_EQ(journal::instance_seconds(steps, 3), 2 + 3);
  EXPECT_EQ(journal::direction_changes(steps), 2);  // up, down, up
  EXPECT_EQ(journal::parse_scale_detail("12 -> 0 (autoscaler)"), std::make_pair(12, 0));
  EXPECT_FALSE(journal::parse_scale_detail("12 to 0"));
  EXPECT_FALSE(journal::parse_scale_detail("-1 -> 2"));
  // A scale before the load began sets what it began with.
  auto early = scaled_run("early", 3, {{-0.5, "3 -> 1 (autoscaler)"}});
  EXPECT_EQ(journal::instance_count_steps(early).front().count, 1);
  journal::Journal unknown;
  EXPECT_TRUE(journal::instance_count_steps(unknown).empty());
}

TEST(DemoText, AutoscalingConclusionsFollowTheNumbers) {
  EXPECT_EQ(autoscaling_conclusion(scaled_run("hpa", 1, {{2.0, "1 -> 2"}, {3.0, "2 -> 4"}, {8.0, "4 -> 2"}})),
            "the count went 1 -> 2 -> 4 -> 2 (3 changes, 1 reversals) for 28 instance-seconds; worst p99 50 ms; "
            "0 of 1000 failed");
  const auto flapping = autoscaling_conclusion(scaled_run(
      "no window", 1, {{1.0, "1 -> 2"}, {2.0, "2 -> 1"}, {3.0, "1 -> 2"}, {4.0, "2 -> 1"}, {5.0, "1 -> 2"}}));
  EXPECT_NE(flapping.find("(5 changes, 4 reversals)"), std::string::npos) << flapping;
  EXPECT_NE(flapping.find("without a stabilization window"), std::string::npos) << flapping;
  const auto slow = autoscaling_conclusion(scaled_run("slow start", 1, {{2.0, "1 -> 4"}}, 2400));
  EXPECT_NE(slow.find("worst p99 2400 ms"), std::string::npos) << slow;
  EXPECT_NE(slow.find("a slow start-up breaks the SLO"), std::string::npos) << slow;

  auto zero = scaled_run("to zero", 1, {{2.0, "1 -> 0 (autoscaler)"}, {7.0, "0 -> 1 (autoscaler)"}});
  journal::LoadRun load;
  journal::LoadTotals totals;
  totals.counts.requests = 1000;
  totals.latency.p50 = 21;
  totals.cold_start = journal::Latency{40.0, 1500, 1600, 1690, 1700, 1710, 1550};
  load.totals = totals;
  zero.load = load;
  EXPECT_EQ(autoscaling_conclusion(zero),
            "the idle lab ran no instance (1 -> 0 -> 1); 40 requests waited for a cold start: p50 1500 ms, p99 1690 ms, "
            "against 21 ms for the run's median request; 0 of 1000 failed");
  const std::string table = autoscaling_table({scaled_run("hpa", 1, {{2.0, "1 -> 4"}}), zero});
  for (const char* row : {"requests", "failed requests", "worst p99 (ms)", "instances", "count changes",
                          "reversals (flapping)", "instance-seconds", "cold starts", "verdict"})
    EXPECT_NE(table.find(row), std::string::npos) << row;
  EXPECT_NE(table.find("1 to 4"), std::string::npos) << table;
  EXPECT_NE(table.find("0 to 1"), std::string::npos) << table;
  EXPECT_NE(table.find("40 (p99 1690 ms)"), std::string::npos) << table;
  EXPECT_EQ(table.find("session_lost"), std::string::npos) << "no state is checked in this lesson";
}

namespace {

// A connection-budget run: 1 -> 8 instances with pools of `pool`, ten seconds whose
// database readings peak at `server` held of a budget of 97, `failed` requests in all.
journal::Journal budget_run(const std::string& label, int pool, double server, int failed, bool pgbouncer = false) {
  journal::Journal j = scaled_run(label, 1, {{3.0, "1 -> 2"}, {6.0, "2 -> 4"}, {9.0, "4 -> 8"}});
  j.experiment.cluster = {{"instances", 1},
                          {"app_env", {{"SCALELAB_DB_POOL", std::to_string(pool)}}},
                          {"db_pooler", pgbouncer ? "pgbouncer" : "none"}};
  for (journal::Sample& s : j.series) {
    s.db = journal::DbConnections{server * s.elapsed_s / 10, 97.0, pool * 8.0 * s.elapsed_s / 10, 3.0};
    s.counts.errors = s.elapsed_s == 10 ? failed : 0;
  }
  j.load.emplace();
  for (int i = 0; i < failed && i < 20; ++i) {
    journal::FailedRequest f;
    f.error = "db_too_many_connections";
    j.load->failures.push_back(f);
  }
  j.verdict.status = failed ? "deviated" : "completed";
  return j;
}

}  // namespace

TEST(DemoText, DatabaseConclusionsFollowTheNumbers) {
  auto over = budget_run("pool 20", 20, 96, 111);
  const auto over_line = database_conclusion(over);
  EXPECT_NE(over_line.find("8 instances x pool 20 = 160 connections against a budget of 97: the server held 96"),
            std::string::npos)
      << over_line;
  EXPECT_NE(over_line.find("(db_too_many_connections)"), std::string::npos) << over_line;
  const auto fits = database_conclusion(budget_run("pool 10", 10, 80, 0));
  EXPECT_NE(fits.find("8 instances x pool 10 = 80 connections fit the budget of 97"), std::string::npos) << fits;
  const auto pooled = database_conclusion(budget_run("pgbouncer", 20, 20, 0, true));
  EXPECT_NE(pooled.find("open to pgbouncer, which held at most 20 of the server's 97"), std::string::npos) << pooled;

  const std::string table = database_table({over, budget_run("pgbouncer", 20, 20, 0, true)});
  for (const char* row : {"requests", "failed requests", "failed with", "most instances", "pool per instance",
                          "wanted (N x pool)", "server held (peak)", "pools' conns (peak)", "waiting (peak)",
                          "worst p99 (ms)", "verdict"})
    EXPECT_NE(table.find(row), std::string::npos) << row;
  EXPECT_NE(table.find("96 of 97"), std::string::npos) << table;
  EXPECT_NE(table.find("20 (to pgbouncer)"), std::string::npos) << table;
  // A run that read nothing of the database says so rather than 0.
  journal::Journal blind = budget_run("blind", 20, 0, 0);
  for (journal::Sample& s : blind.series) s.db.reset();
  EXPECT_NE(database_table({blind}).find("? of ?"), std::string::npos);
}
