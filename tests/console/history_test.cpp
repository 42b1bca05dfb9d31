// The five-minute history the page polls: frames after `since`, column-wise, nulls
// where an instance has no value, and nothing older than the window.
#include <gtest/gtest.h>

#include "lab/console/history.hpp"

using namespace scalelab::console;

TEST(History, ColumnsWithNullsForMissingValues) {
  History h;
  Frame a{100, {{"app-1", InstanceRates{10, 0.0, 2.5}}}, {{"app-1", BackendRates{10, 1.0}}}};
  Frame b{101, {{"app-1", InstanceRates{12, std::nullopt, std::nullopt}}, {"app-2", InstanceRates{3, 0.5, 9.0}}}, {}};
  h.add(a);
  h.add(b);
  const auto j = h.since(0);
  EXPECT_EQ(j["t"], nlohmann::json({100.0, 101.0}));
  EXPECT_EQ(j["instances"]["app-1"]["rps"], nlohmann::json({10.0, 12.0}));
  EXPECT_EQ(j["instances"]["app-1"]["error_rate"], nlohmann::json({0.0, nullptr}));
  EXPECT_EQ(j["instances"]["app-2"]["p99_ms"], nlohmann::json({nullptr, 9.0}));
  EXPECT_EQ(j["backends"]["app-1"]["share"], nlohmann::json({1.0, nullptr}));
  const auto later = h.since(100);
  EXPECT_EQ(later["t"], nlohmann::json({101.0}));
  EXPECT_FALSE(later["backends"].contains("app-1"));
}

TEST(History, KeepsOnlyTheWindowAndAMonotonicClock) {
  History h(300);
  for (int t = 0; t <= 400; ++t) h.add(Frame{static_cast<double>(t), {{"app-1", InstanceRates{1, 0.0, 1.0}}}, {}});
  h.add(Frame{399, {}, {}});  // a clock step back is ignored
  const auto j = h.since(0);
  ASSERT_EQ(j["t"].size(), 301u);
  EXPECT_EQ(j["t"].front(), 100.0);
  EXPECT_EQ(j["t"].back(), 400.0);
}

TEST(History, TheDatabaseColumnsAppearWithTheFirstFrameThatHasOne) {
  History h;
  InstanceRates pooled{5, 0.0, 1.0};
  pooled.db_connections = 10;
  pooled.db_waiting = 2;
  Frame a{100, {{"app-1", pooled}}, {}};
  Frame b{101, {{"app-1", InstanceRates{5, 0.0, 1.0}}}, {}};
  b.database = DatabaseFrame{80, 97};
  Frame c{102, {}, {}};
  c.database = DatabaseFrame{};  // the server was down: a gap
  h.add(a);
  h.add(b);
  h.add(c);
  const auto j = h.since(0);
  EXPECT_EQ(j["instances"]["app-1"]["db_connections"], nlohmann::json({10.0, nullptr, nullptr}));
  EXPECT_EQ(j["instances"]["app-1"]["db_waiting"], nlohmann::json({2.0, nullptr, nullptr}));
  EXPECT_EQ(j["lab"]["database"]["connections"], nlohmann::json({nullptr, 80.0, nullptr}));
  EXPECT_EQ(j["lab"]["database"]["budget"], nlohmann::json({nullptr, 97.0, nullptr}));
  EXPECT_FALSE(h.since(102).contains("lab")) << "no frame after 102";
}
