#include "services/app/state_toggle.hpp"

#include <gtest/gtest.h>

using namespace scalelab;
using scalelab::store::Concern;
using scalelab::store::Mode;

TEST(StateToggle, WholeAndPerConcern) {
  const Mode shared[4] = {Mode::shared, Mode::shared, Mode::shared, Mode::shared};
  app::StateToggle t(shared);
  EXPECT_EQ(t.header_value(), "shared");
  EXPECT_EQ(t.apply({{"mode", "local"}}), "");
  EXPECT_EQ(t.header_value(), "local");
  EXPECT_EQ(t.apply({{"cache", "shared"}}), "");
  EXPECT_EQ(t.mode(Concern::cache), Mode::shared);
  EXPECT_EQ(t.header_value(), "sessions=local,cache=shared,uploads=local,ratelimit=local");
  EXPECT_EQ(t.to_json(), (nlohmann::json{{"sessions", "local"}, {"cache", "shared"}, {"uploads", "local"}, {"ratelimit", "local"}}));
}

TEST(StateToggle, PerConcernWinsOverModeInOneUpdate) {
  const Mode shared[4] = {Mode::shared, Mode::shared, Mode::shared, Mode::shared};
  app::StateToggle t(shared);
  EXPECT_EQ(t.apply({{"sessions", "shared"}, {"mode", "local"}}), "");
  EXPECT_EQ(t.mode(Concern::sessions), Mode::shared);
  EXPECT_EQ(t.mode(Concern::uploads), Mode::local);
}

TEST(StateToggle, RejectsBadUpdatesWithoutChangingAnything) {
  const Mode shared[4] = {Mode::shared, Mode::shared, Mode::shared, Mode::shared};
  app::StateToggle t(shared);
  EXPECT_NE(t.apply(nlohmann::json::array()), "");
  EXPECT_NE(t.apply(nlohmann::json::object()), "");
  EXPECT_NE(t.apply({{"mode", "sideways"}}), "");
  EXPECT_NE(t.apply({{"database", "local"}}), "");
  EXPECT_NE(t.apply({{"sessions", "local"}, {"cache", 3}}), "");
  EXPECT_EQ(t.header_value(), "shared");
}
