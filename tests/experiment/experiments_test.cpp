// Every shipped experiment, run for real against a lab, with the outcome
// experiments/README.md promises. Label `experiments` (about 12 minutes of test time).
#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

#include "lab/experiment/demo.hpp"
#include "lab/experiment/runner.hpp"
#include "lab/journal/journal_json.hpp"
#include "lab/journal/scaling.hpp"
#include "tests/experiment/shipped_runs.hpp"
#include "tests/support/app_cluster.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace scalelab::experiment;

namespace {

struct Expectation {
  const char* file;
  bool deviated;
};

const Expectation kExpectations[] = {
    {"demo.yaml", false},
    {"local-sessions-round-robin.yaml", true},
    {"kill-one-of-three-shared.yaml", false},
    {"kill-one-of-three-local.yaml", true},
    {"sticky-local-pinned-instance-dies.yaml", true},
    {"rolling-restart.yaml", false},
    {"scale-out-io-bound.yaml", false},
    {"scale-out-cpu-bound.yaml", false},
    {"redis-down.yaml", false},
    {"redis-latency.yaml", true},
    {"local-uploads.yaml", true},
    {"local-cache-stale-reads.yaml", true},
    {"local-rate-limit.yaml", true},
    {"frozen-instance.yaml", false},
    {"autoscale-load-ramp.yaml", false},
    {"scale-to-zero.yaml", false},
    {"autoscale-slow-start.yaml", true},
    {"autoscale-slow-start-overprovisioned.yaml", false},
    {"warm-up-without-slow-start.yaml", true},
    {"warm-up-with-slow-start.yaml", false},
};
// kill-during-checkout.yaml and postgres-down.yaml have their own tests at the end.

class ShippedExperiment : public ::testing::TestWithParam<Expectation> {};

}  // namespace

TEST_P(ShippedExperiment, HasItsDocumentedOutcome) {
  const auto& e = GetParam();
  const auto j = run_shipped(e.file);
  ASSERT_NE(j["verdict"]["status"], "aborted") << j["verdict"].dump();
  const nlohmann::json totals = j.value(nlohmann::json::json_pointer("/load/totals"), nlohmann::json::object());
  EXPECT_EQ(j["verdict"]["deviated"].get<bool>(), e.deviated)
      << e.file << ": " << j["verdict"]["summary"] << "\nviolations: " << totals.value("violations", nlohmann::json()).dump()
      << "\ntransport: " << totals.value("transport", nlohmann::json()).dump()
      << "\nstatus: " << totals.value("status", nlohmann::json()).dump()
      << "\nfirst failures: " << j.value(nlohmann::json::json_pointer("/load/failures"), nlohmann::json::array()).dump(1)
      << "\nfirst violations: " << j.value(nlohmann::json::json_pointer("/load/violations"), nlohmann::json::array()).dump(1)
      << "\nlab events: " << j.value("events", nlohmann::json::array()).dump();
  for (const auto& a : j["actions"]) EXPECT_EQ(a["status"], "succeeded") << a.dump();
  // A sticky lab holds before its kill: the loss comes with the kill.
  if (std::string(e.file).rfind("sticky", 0) == 0) {
    EXPECT_TRUE(j["hypothesis"]["before"]["met"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(Experiments, ShippedExperiment, ::testing::ValuesIn(kExpectations),
                         [](const ::testing::TestParamInfo<Expectation>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The stampede pair, run side by side: both hold (every request served after a wait),
// and the cap on concurrent starts shortens the first requests' wait. Compared as a
// ratio in one run, so a busy machine slows both alike. Both labs start at zero
// (instances: 0), so the burst always finds nothing running.
TEST(ColdStartStampede, CappingConcurrentStartsShortensTheFirstRequestsWait) {
  const auto uncapped = run_shipped("cold-start-stampede.yaml");
  const auto capped = run_shipped("cold-start-stampede-capped.yaml");
  for (const auto* j : {&uncapped, &capped})
    ASSERT_FALSE((*j)["verdict"]["deviated"].get<bool>()) << (*j)["verdict"].dump();
  const std::string probe = "the first requests waited for a start-up";
  const double stampede_ms = probe_value(uncapped, probe), one_at_a_time_ms = probe_value(capped, probe);
  EXPECT_GT(stampede_ms, 1.25 * one_at_a_time_ms)
      << "worst per-second p50 wait: " << stampede_ms << " ms with four starting at once, " << one_at_a_time_ms
      << " ms with starts=1";
  std::printf("[measured] the first requests' wait: %.0f ms with four starting at once, %.0f ms one at a time\n",
              stampede_ms, one_at_a_time_ms);
}

// The window pair, side by side: the same ramp and policy with a 4 s scale-down window
// and with none. Both serve every request; without the window the count reverses
// direction again and again. Measured: 0 reversals in 4 changes with the window, 10 in
// 14 without.
TEST(Flapping, WithoutTheStabilizationWindowTheCountReverses) {
  const auto windowed = run_shipped("autoscale-ramp-window.yaml");
  const auto bare = run_shipped("autoscale-flapping.yaml");
  // Both serve every request. Their p99 objective (500 ms every second) is the
  // autoscaling lesson's to judge: beside another heavy test a second can pass it.
  for (const auto* j : {&windowed, &bare}) {
    ASSERT_NE((*j)["verdict"]["status"], "aborted") << (*j)["verdict"].dump();
    EXPECT_EQ(probe_value(*j, "no request failed"), 0) << (*j)["verdict"].dump();
  }
  const auto steps_windowed = journal::instance_count_steps(journal::parse_journal(windowed));
  const auto steps_bare = journal::instance_count_steps(journal::parse_journal(bare));
  const int reversals_windowed = journal::direction_changes(steps_windowed);
  const int reversals_bare = journal::direction_changes(steps_bare);
  // Side by side, as ratios: a busy machine makes the sampled in-flight count noisier in
  // both runs (once, 3 reversals with the window), so neither count is pinned alone.
  EXPECT_GE(reversals_bare, reversals_windowed + 3) << bare["events"].dump() << "\nwindowed: " << windowed["events"].dump();
  EXPECT_GE(reversals_bare, 2 * reversals_windowed) << bare["events"].dump() << "\nwindowed: " << windowed["events"].dump();
  const auto changes = [](const std::vector<journal::CountStep>& steps) { return steps.empty() ? 0 : steps.size() - 1; };
  std::printf("[measured] %d reversals in %zu changes with the window, %d in %zu without\n", reversals_windowed,
              changes(steps_windowed), reversals_bare, changes(steps_bare));
}

// Connection churn, side by side: the same load with a Redis connection per store call
// and with the shared one. The journal counts the connections the instances opened.
// Their cost in latency is a benchmark's to measure (bench/RESULTS.md, "Connection
// churn": p50 2.28 ms against 1.10 ms), not this test's: run one after the other on a
// busy machine, the two p50s came out the other way round once (3.50 ms against 3.94).
TEST(ConnectionChurn, AConnectionPerRequestOpensOnePerStoreCall) {
  const auto churning = run_shipped("redis-connection-per-request.yaml");
  const auto shared = run_shipped("redis-connection-per-request.yaml", [](Experiment& x) {
    x.cluster.app_env["SCALELAB_REDIS_CONNECTIONS"] = "shared";
  });
  for (const auto* j : {&churning, &shared})
    ASSERT_FALSE((*j)["verdict"]["deviated"].get<bool>()) << (*j)["verdict"].dump();
  const auto requests = [](const nlohmann::json& j) { return j["load"]["totals"]["requests"].get<double>(); };
  const auto opened = [](const nlohmann::json& j) { return j["lab"]["redis_connections_opened"].get<double>(); };
  const auto p50 = [](const nlohmann::json& j) { return j["load"]["totals"]["latency_ms"]["p50"].get<double>(); };
  EXPECT_GE(opened(churning), 0.5 * requests(churning)) << churning["lab"].dump();
  EXPECT_LE(opened(shared), 4) << "one per instance, and a reconnect or two at most: " << shared["lab"].dump();
  std::printf("[measured] p50 %.2f ms with a connection per request, %.2f ms shared; %.0f and %.0f connections\n",
              p50(churning), p50(shared), opened(churning), opened(shared));
}

// The connection budget, side by side, as `scalelab demo database` runs it: 1 -> 2 -> 4
// -> 8 instances against max_connections 100. With pools of 20 the server refuses
// connections once the pools pass its budget, and every failure says so; with pools of
// 10 (80 fit) and with pgbouncer (20 server connections) nothing fails. The samples'
// database readings show why. Measured (README): 111 failed of 41,935 with pools of 20,
// the server holding 96 of 97; 0 and 0, the server holding 80 and 20.
TEST(ConnectionBudget, PastTheBudgetTheServerRefusesSmallerPoolsAndPgbouncerFit) {
  const journal::Demo demo = run_lesson(database_topic(SCALELAB_EXPERIMENTS_DIR));
  ASSERT_EQ(demo.runs.size(), 3u);
  const auto peak = [](const journal::Journal& run, std::optional<double> journal::DbConnections::*field) {
    double best = -1;
    for (const auto& s : run.series)
      if (s.db && ((*s.db).*field)) best = std::max(best, *((*s.db).*field));
    return best;
  };
  const journal::Journal &pool20 = demo.runs[0], &pool10 = demo.runs[1], &pgbouncer = demo.runs[2];
  EXPECT_TRUE(pool20.verdict.deviated) << pool20.verdict.summary;
  ASSERT_FALSE(pool20.failures().empty());
  for (const auto& f : pool20.failures()) {
    EXPECT_EQ(f.error, "db_too_many_connections") << f.detail;
    EXPECT_GE(f.t_s, 9.0) << "not before the count passed the budget: " << f.detail;
  }
  EXPECT_EQ(peak(pool20, &journal::DbConnections::budget), 97);
  EXPECT_GE(peak(pool20, &journal::DbConnections::server), 90) << "the server's budget was not reached";
  EXPECT_FALSE(pool10.verdict.deviated) << pool10.verdict.summary;
  EXPECT_LE(peak(pool10, &journal::DbConnections::server), 81);
  EXPECT_FALSE(pgbouncer.verdict.deviated) << pgbouncer.verdict.summary;
  EXPECT_LE(peak(pgbouncer, &journal::DbConnections::server), 21) << "pgbouncer holds 20 server connections";
  EXPECT_GT(peak(pgbouncer, &journal::DbConnections::pool_open), 100) << "the pools held their 8 x 20 to pgbouncer";
  std::printf("[measured] the database demo took %.0f s\n", demo.duration_s.value_or(0));
}

// Kill -9 in the middle of checkouts: every checkout the kills interrupted is retried
// with its key, and the checker finds no order lost, none doubled, nothing oversold.
// Measured (four kills): 20 and 22 retries, 8 and 10 of them replaying an order the dead
// instance had committed. With two kills a busy machine once landed neither on a
// checkout in flight (0 retries).
TEST(KillDuringCheckout, RetriesWithTheSameKeyLoseAndDoubleNothing) {
  const auto j = run_shipped("kill-during-checkout.yaml");
  ASSERT_FALSE(j["verdict"]["deviated"].get<bool>()) << j["verdict"].dump() << "\n" << j["load"]["failures"].dump(1);
  const auto& totals = j["load"]["totals"];
  const auto& checkouts = totals["checkouts"];
  EXPECT_GT(checkouts["acknowledged"].get<double>(), 50) << checkouts.dump();
  EXPECT_GT(checkouts["retries"].get<double>(), 0) << "the kills interrupted no checkout: " << checkouts.dump();
  EXPECT_EQ(checkouts["gave_up"], 0) << checkouts.dump();
  for (const char* kind : {"order_lost", "double_order", "oversold"}) EXPECT_EQ(totals["violations"][kind], 0) << kind;
  EXPECT_EQ(totals["checks"]["stock"], 100) << "every item audited: " << j["load"]["stock"].dump();
  std::printf("[measured] %s\n", checkouts.dump().c_str());
}

// PostgreSQL down for 10 s: the checkouts fail fast with 503 db_unavailable, the
// logins (Redis only) go on, and two seconds after the restart nothing fails. The
// restart action ends when PostgreSQL is ready again, and the two seconds count from
// there: under a loaded ctest -j2 the start once took long enough that a window counted
// from when the restart was due saw a request fail before the database was back.
TEST(PostgresDown, CheckoutsFailFastLoginsGoOnAndEverythingRecovers) {
  const auto j = run_shipped("postgres-down.yaml");
  ASSERT_FALSE(j["verdict"]["deviated"].get<bool>()) << j["verdict"].dump();
  const auto& restart = j["actions"].back();
  ASSERT_EQ(restart["type"], "restart") << restart.dump();
  double ready_again_s = -1;
  for (const auto& e : j["events"])
    if (e["component"] == "postgres" && e["kind"] == "ready" && e["t_s"].get<double>() > 0) ready_again_s = e["t_s"];
  EXPECT_GT(ready_again_s, restart["started_s"].get<double>()) << j["events"].dump();
  EXPECT_GE(restart["ended_s"].get<double>() + 0.2, ready_again_s) << "the restart ended before PostgreSQL was ready";
  for (const auto& f : j["load"]["failures"]) EXPECT_EQ(f["error"], "db_unavailable") << f.dump();
  double served_during = 0, failed_during = 0;
  for (const auto& s : j["series"]) {
    const double t = s["elapsed_s"].get<double>();
    if (t <= 6.5 || t > 15.0) continue;  // the outage: 5 s to 15 s, past its first second
    served_during += s["status"]["2xx"].get<double>();
    failed_during += s["status"]["503"].get<double>();
  }
  EXPECT_GT(failed_during, 0) << "the outage was not seen";
  EXPECT_GT(served_during, 0) << "nothing was served while the database was down";
}

// A database connection per request beside a pool, the same load: the journal counts
// the connections the instances opened. Measured in one pair of runs: 3112 opened for
// 4841 requests per request, against 18 for 29,253 pooled (p50 26.5 ms against 4.8 ms,
// printed below, not asserted: a benchmark's business).
TEST(ConnectionChurn, ADatabaseConnectionPerRequestOpensOneForEachRequestThatNeedsIt) {
  const auto churning = run_shipped("db-connection-per-request.yaml");
  const auto pooled = run_shipped("db-connection-per-request.yaml", [](Experiment& x) {
    x.cluster.app_env["SCALELAB_DB_CONNECT"] = "pooled";
  });
  for (const auto* j : {&churning, &pooled})
    ASSERT_FALSE((*j)["verdict"]["deviated"].get<bool>()) << (*j)["verdict"].dump();
  const auto requests = [](const nlohmann::json& j) { return j["load"]["totals"]["requests"].get<double>(); };
  const auto opened = [](const nlohmann::json& j) { return j["lab"]["db_connections_opened"].get<double>(); };
  const auto p50 = [](const nlohmann::json& j) { return j["load"]["totals"]["latency_ms"]["p50"].get<double>(); };
  EXPECT_GE(opened(churning), 0.3 * requests(churning)) << churning["lab"].dump();
  EXPECT_LE(opened(pooled), 2 * 10 + 4) << "at most a pool of 10 per instance, and a reconnect or two";
  std::printf("[measured] p50 %.2f ms per request, %.2f ms pooled; %.0f and %.0f connections for %.0f and %.0f requests\n",
              p50(churning), p50(pooled), opened(churning), opened(pooled), requests(churning), requests(pooled));
}

// N+1 against a join as the order histories grow, side by side: the same load lists
// orders with their lines through a lazy-loading ORM's pattern and through one join.
// The N+1 listing costs statements in proportion to the history (1 + N), the join one,
// and the N+1 run's p99 passes its 60 ms objective as the histories grow. Measured on a
// quiet machine: 26 statements per listing against 1, p99 climbing from 29 ms in the
// first second to 138 ms (n_plus_one) against a flat 26 ms (join). The join's own
// verdict and the latency growth are printed, not asserted: under ctest -j2 another
// test's load once took the join's p99 to 165 ms, while the statements never vary.
TEST(OrdersNPlusOne, TheNPlusOneListingGrowsWithTheHistoryAndTheJoinStaysOneStatement) {
  const auto lazy = run_shipped("orders-n-plus-one.yaml");
  const auto joined = run_shipped("orders-join.yaml");
  const auto per_listing = [](const nlohmann::json& j) {
    return j["load"]["totals"]["order_listings"]["queries_per_listing"].get<double>();
  };
  const auto p99_at = [](const nlohmann::json& j, std::size_t from, std::size_t to) {
    double worst = 0;
    const auto& series = j["series"];
    for (std::size_t i = from; i < to && i < series.size(); ++i)
      worst = std::max(worst, series[i]["latency_ms"]["p99"].get<double>());
    return worst;
  };
  ASSERT_NE(lazy["verdict"]["status"], "aborted") << lazy["verdict"].dump();
  ASSERT_NE(joined["verdict"]["status"], "aborted") << joined["verdict"].dump();
  EXPECT_TRUE(lazy["verdict"]["deviated"].get<bool>()) << lazy["verdict"].dump();
  for (const auto* j : {&lazy, &joined}) {
    EXPECT_EQ((*j)["load"]["totals"]["violations"]["order_lost"], 0);
    EXPECT_EQ((*j)["load"]["totals"]["violations"]["double_order"], 0);
  }
  EXPECT_DOUBLE_EQ(per_listing(joined), 1.0);
  EXPECT_GT(per_listing(lazy), 5.0) << lazy["load"]["totals"]["order_listings"].dump();
  std::printf("[measured] statements per listing %.1f (n_plus_one) and %.1f (join); p99 first 2 s -> last 4 s: "
              "%.0f -> %.0f ms and %.0f -> %.0f ms; join verdict %s\n",
              per_listing(lazy), per_listing(joined), p99_at(lazy, 0, 2), p99_at(lazy, 12, 16), p99_at(joined, 0, 2),
              p99_at(joined, 12, 16), joined["verdict"]["status"].get<std::string>().c_str());
}
