// The concurrency models (services/app/concurrency_model.hpp) measured for real: the
// shipped I/O-bound pair and `scalelab demo concurrency`. Both saturate this machine's
// cores on purpose (a thousand threads, thousands of requests a second), so ctest runs
// them alone (RUN_SERIAL, tests/experiment/CMakeLists.txt): beside another test they
// would take its CPU, and its latency, away.
#include <cstdio>
#include <map>

#include <gtest/gtest.h>

#include "lab/journal/ceiling.hpp"
#include "lab/journal/journal_json.hpp"
#include "tests/experiment/shipped_runs.hpp"

using namespace scalelab;
using namespace scalelab::experiment;

// The concurrency models on I/O-bound work, side by side: one instance, 200 users
// waiting 50 ms each. The pool reaches its own ceiling (24 connections / 50 ms = 480
// requests/s) and no more; a thread per connection moves the ceiling to the users
// (4,000). Compared as a ratio of one run each. Measured: 472 against 3,445 (x7.3),
// 98 % and 86 % of their ceilings.
TEST(ConcurrencyModels, AThreadPerConnectionServesTheUsersAPoolMakesWait) {
  const auto pool = run_shipped("models-pool-io-bound.yaml");
  const auto threads = run_shipped("models-threads-io-bound.yaml");
  for (const auto* j : {&pool, &threads})
    ASSERT_FALSE((*j)["verdict"]["deviated"].get<bool>()) << (*j)["verdict"].dump();
  const auto pool_phases = journal::ceiling_phases(journal::parse_journal(pool));
  const auto thread_phases = journal::ceiling_phases(journal::parse_journal(threads));
  ASSERT_EQ(pool_phases.size(), 1u);
  ASSERT_EQ(thread_phases.size(), 1u);
  EXPECT_EQ(pool_phases[0].limited_by, "instances") << pool_phases[0].why;
  EXPECT_EQ(thread_phases[0].ceiling.bound, "users") << thread_phases[0].why;
  EXPECT_GT(thread_phases[0].measured_rps, 3 * pool_phases[0].measured_rps)
      << pool_phases[0].why << "\n" << thread_phases[0].why;
}

// The event-loop models' halves: on I/O-bound work one loop serves every waiting user
// on one thread, as a thread per connection does with 200; on CPU-bound work one loop
// is held to one core, and a loop per core uses them all.
TEST(ConcurrencyModels, OneEventLoopServesTheWaitingUsersButBurnsOnOneCore) {
  const auto io = run_shipped("models-loop-io-bound.yaml");
  const auto one = run_shipped("models-loop-cpu-bound.yaml");
  const auto per_core = run_shipped("models-loops-cpu-bound.yaml");
  for (const auto* j : {&io, &one, &per_core})
    ASSERT_FALSE((*j)["verdict"]["deviated"].get<bool>()) << (*j)["verdict"].dump();
  const auto io_phases = journal::ceiling_phases(journal::parse_journal(io));
  const auto one_phases = journal::ceiling_phases(journal::parse_journal(one));
  const auto per_core_phases = journal::ceiling_phases(journal::parse_journal(per_core));
  ASSERT_EQ(io_phases.size(), 1u);
  ASSERT_EQ(one_phases.size(), 1u);
  ASSERT_EQ(per_core_phases.size(), 1u);
  EXPECT_EQ(io_phases[0].ceiling.bound, "users") << io_phases[0].why;
  EXPECT_EQ(one_phases[0].ceiling.bound, "cores");
  EXPECT_EQ(one_phases[0].ceiling.rps, 200) << "one loop thread / 5 ms";
  EXPECT_GT(per_core_phases[0].measured_rps, 1.3 * one_phases[0].measured_rps)
      << one_phases[0].why << "\n" << per_core_phases[0].why;
}

// `scalelab demo concurrency` end to end: thirty runs, each with its ceiling, and the
// shapes its table states. Measured on a quiet machine (README): x26.9 at 1000 waiting users, 33 KiB
// per thread.
TEST(ConcurrencyLesson, EachModelMeetsItsOwnCeiling) {
  const journal::Demo demo = run_lesson(concurrency_topic(SCALELAB_EXPERIMENTS_DIR));
  ASSERT_EQ(demo.runs.size(), 30u) << "28 for four models at every point, 2 for fibers";
  std::map<std::string, journal::CeilingPhase> phase;
  std::map<std::string, double> threads;
  for (const journal::Journal& run : demo.runs) {
    const auto phases = journal::ceiling_phases(run);
    ASSERT_FALSE(phases.empty()) << run.label << ": no settled second against a ceiling";
    phase[run.label] = phases.front();
    for (const auto& s : run.series)
      if (s.apps) threads[run.label] = std::max(threads[run.label], s.apps->threads);
  }
  EXPECT_EQ(phase["pool io 1000"].limited_by, "instances") << phase["pool io 1000"].why;
  EXPECT_EQ(phase["threads io 1000"].ceiling.bound, "users") << phase["threads io 1000"].why;
  EXPECT_GT(phase["threads io 1000"].measured_rps, 3 * phase["pool io 1000"].measured_rps)
      << phase["pool io 1000"].why << "\n" << phase["threads io 1000"].why;
  EXPECT_GT(threads["threads io 1000"], 500) << "a thread per connection";
  EXPECT_LT(threads["pool io 1000"], 60) << "32 workers and a few of the process's own";
  EXPECT_EQ(phase["pool cpu 1000"].ceiling.bound, "cores");
  EXPECT_GT(phase["loop io 1000"].measured_rps, 3 * phase["pool io 1000"].measured_rps)
      << phase["pool io 1000"].why << "\n" << phase["loop io 1000"].why;
  EXPECT_LT(threads["loop io 1000"], 40) << "one loop, the accepting thread, the admin pool and a few more";
  EXPECT_EQ(phase["loop cpu 100"].ceiling.rps, 200) << "one loop uses one core: " << phase["loop cpu 100"].why;
  EXPECT_GT(phase["loops cpu 100"].measured_rps, 1.3 * phase["loop cpu 100"].measured_rps)
      << phase["loop cpu 100"].why << "\n" << phase["loops cpu 100"].why;
  // Mixed work (50 ms waiting, 2 ms of CPU): one loop is held to its one thread's CPU
  // (1 / 2 ms = 500/s), however many users wait; the pool to its connections.
  EXPECT_EQ(phase["loop mix 1000"].ceiling.bound, "cores") << phase["loop mix 1000"].why;
  EXPECT_EQ(phase["loop mix 1000"].ceiling.rps, 500) << phase["loop mix 1000"].why;
  EXPECT_EQ(phase["pool mix 1000"].ceiling.bound, "instances") << phase["pool mix 1000"].why;
  EXPECT_GT(phase["loops mix 1000"].measured_rps, phase["loop mix 1000"].measured_rps)
      << phase["loop mix 1000"].why << "\n" << phase["loops mix 1000"].why;
  // Fibers (M:N) burn on every core, with a thread per core.
  EXPECT_LT(threads["fibers cpu 100"], 40) << "a thread per core, the accepting thread, the admin pool and a few more";
  EXPECT_EQ(phase["fibers cpu 100"].ceiling.bound, "cores") << phase["fibers cpu 100"].why;
  EXPECT_GT(phase["fibers cpu 100"].measured_rps, 1.3 * phase["loop cpu 100"].measured_rps)
      << phase["loop cpu 100"].why << "\n" << phase["fibers cpu 100"].why;
  std::printf("[measured] the concurrency demo took %.0f s\n", demo.duration_s.value_or(0));
}
