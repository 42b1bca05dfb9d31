// The console's load board: samples POSTed by a load run, their totals per run, and
// the checks that reject what is not a lab/load Sample.
#include <gtest/gtest.h>

#include "lab/console/load_board.hpp"

using scalelab::console::LoadBoard;
using nlohmann::json;

namespace {

json sample(int t, int session_lost, int session_checks) {
  return {{"t", t}, {"elapsed_s", t}, {"interval_s", 1.0}, {"requests", 100}, {"responses", 99}, {"errors", 1}, {"rps", 100.0},
          {"status", {{"2xx", 99}, {"5xx", 0}}}, {"transport", {{"reset", 1}}},
          {"violations", {{"session_lost", session_lost}, {"upload_missing", 0}}},
          {"checks", {{"session", session_checks}}}, {"latency_ms", {{"p99", 2.5}}}};
}

}  // namespace

TEST(LoadBoard, NothingBeforeTheFirstSample) {
  LoadBoard b;
  EXPECT_EQ(b.to_json(10), json({{"active", false}}));
}

TEST(LoadBoard, TotalsOfARunAndWhetherItIsRunning) {
  LoadBoard b;
  b.add(sample(1, 2, 10), "scalelab load", 1000);
  b.add(sample(2, 3, 10), "scalelab load", 1001);
  auto j = b.to_json(1002);
  EXPECT_TRUE(j["active"]);
  EXPECT_EQ(j["source"], "scalelab load");
  EXPECT_EQ(j["run"]["samples"], 2);
  EXPECT_EQ(j["run"]["requests"], 200.0);
  EXPECT_EQ(j["run"]["errors"], 2.0);
  EXPECT_EQ(j["run"]["violations"]["session_lost"], 5.0);
  EXPECT_EQ(j["run"]["checks"]["session"], 20.0);
  EXPECT_EQ(j["run"]["transport"]["reset"], 2.0);
  EXPECT_EQ(j["latest"]["t"], 2);
  EXPECT_EQ(j["history"]["violations"], json({2.0, 3.0}));
  EXPECT_EQ(j["history"]["p99_ms"], json({2.5, 2.5}));
  EXPECT_FALSE(b.to_json(1001 + LoadBoard::kActiveFor + 1)["active"]);
}

TEST(LoadBoard, ANewRunStartsAfresh) {
  LoadBoard b;
  b.add(sample(1, 2, 10), "scalelab load", 1000);
  b.add(sample(2, 2, 10), "scalelab load", 1001);
  b.add(sample(1, 1, 10), "scalelab load", 1002);  // t went back: a new run
  EXPECT_EQ(b.to_json(1002)["run"]["violations"]["session_lost"], 1.0);
  b.add(sample(2, 1, 10), "experiment", 1003);     // another source
  EXPECT_EQ(b.to_json(1003)["run"]["samples"], 1);
  b.add(sample(3, 1, 10), "experiment", 1100);     // a long silence
  EXPECT_EQ(b.to_json(1100)["run"]["samples"], 1);
}

TEST(LoadBoard, RejectsWhatIsNotASample) {
  LoadBoard b;
  EXPECT_THROW(b.add(json::array(), "x", 1), std::invalid_argument);
  EXPECT_THROW(b.add(json{{"t", 1}}, "x", 1), std::invalid_argument);  // no violations
  EXPECT_THROW(b.add(json{{"t", "one"}, {"violations", json::object()}}, "x", 1), std::invalid_argument);
  EXPECT_THROW(b.add(json{{"violations", {{"session_lost", "many"}}}}, "x", 1), std::invalid_argument);
  EXPECT_THROW(b.add(json{{"violations", json::object()}, {"checks", 3}}, "x", 1), std::invalid_argument);
  EXPECT_EQ(b.to_json(1), json({{"active", false}}));
  b.add(json{{"violations", json::object()}}, "x", 1);  // minimal, but a sample
  EXPECT_TRUE(b.to_json(1)["active"]);
}
