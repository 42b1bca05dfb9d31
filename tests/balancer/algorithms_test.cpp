// Unit tests: balancing algorithms (rotation order, least_conn, sticky, panic mode).
#include "balancer/algorithms.hpp"

#include <thread>

#include <gtest/gtest.h>

using namespace scalelab::balancer;
using Clock = std::chrono::steady_clock;

namespace {

HealthPolicy no_checks() {
  HealthPolicy p;
  p.active_checks = false;  // start healthy
  return p;
}

BackendList make(std::initializer_list<const char*> ids) {
  BackendList list;
  std::uint16_t port = 9000;
  for (const char* id : ids) {
    scalelab::net::HostPort hp{"127.0.0.1", port++};
    list.push_back(std::make_shared<Backend>(id, hp, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), hp.port),
                                             Source::static_list, no_checks(), nullptr));
  }
  return list;
}

std::string seq(Picker& p, const BackendList& list, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    auto c = p.pick(list, Clock::now());
    out += c.backend ? c.backend->id() : "-";
  }
  return out;
}

}  // namespace

TEST(RoundRobin, StrictRotationInRegistryOrder) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::round_robin);
  EXPECT_EQ(seq(p, list, 7), "abcabca");
}

TEST(RoundRobin, SkipsIneligibleAndKeepsRotating) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::round_robin);
  list[1]->set_state(AdminState::draining);
  EXPECT_EQ(seq(p, list, 4), "acac");
  list[1]->set_state(AdminState::active);
  list[2]->on_connect_failure(Clock::now());  // ejected
  EXPECT_EQ(seq(p, list, 4), "abab");
}

TEST(RoundRobin, ExcludesBackendsAlreadyTried) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::round_robin);
  std::vector<Backend*> tried{list[0].get(), list[1].get()};
  auto c = p.pick(list, Clock::now(), tried);
  ASSERT_TRUE(c.backend);
  EXPECT_EQ(c.backend->id(), "c");
  tried.push_back(list[2].get());
  EXPECT_FALSE(p.pick(list, Clock::now(), tried).backend);
}

TEST(Panic, EveryActiveBackendWhenNoneIsEligible) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::round_robin);
  for (auto& b : list) b->on_connect_failure(Clock::now());
  list[2]->set_state(AdminState::draining);
  auto c = p.pick(list, Clock::now());
  EXPECT_TRUE(c.panic);
  EXPECT_EQ(seq(p, list, 4), "baba");  // draining c never serves, even in panic
  list[0]->set_state(AdminState::draining);
  list[1]->set_state(AdminState::draining);
  EXPECT_FALSE(p.pick(list, Clock::now()).backend);
}

// A retry whose only eligible backend has just failed it goes to an active backend
// that failed its checks, not to nowhere (a busy machine fails checks by timeout
// first); one already tried never.
TEST(Panic, ARetryGoesToAnActiveBackendWhenTheOnlyEligibleOneFailedIt) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::round_robin);
  list[0]->on_connect_failure(Clock::now());  // ejected
  list[1]->on_connect_failure(Clock::now());
  std::vector<Backend*> tried{list[2].get()};
  auto c = p.pick(list, Clock::now(), tried);
  ASSERT_TRUE(c.backend);
  EXPECT_NE(c.backend->id(), "c");
  EXPECT_TRUE(c.panic);
  tried = {list[0].get(), list[1].get(), list[2].get()};
  EXPECT_FALSE(p.pick(list, Clock::now(), tried).backend);
}

TEST(Panic, NotInPanicWhileOneIsEligible) {
  auto list = make({"a", "b"});
  Picker p(Algorithm::round_robin);
  list[0]->on_connect_failure(Clock::now());
  auto c = p.pick(list, Clock::now());
  EXPECT_FALSE(c.panic);
  EXPECT_EQ(c.backend->id(), "b");
}

TEST(LeastConn, PicksFewestInFlightAndRotatesTies) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::least_conn);
  list[0]->in_flight = 5;
  list[1]->in_flight = 1;
  list[2]->in_flight = 3;
  EXPECT_EQ(p.pick(list, Clock::now()).backend->id(), "b");
  list[1]->in_flight = 5;
  EXPECT_EQ(p.pick(list, Clock::now()).backend->id(), "c");
  for (auto& b : list) b->in_flight = 0;
  EXPECT_EQ(seq(p, list, 3).size(), 3u);
  std::string s = seq(p, list, 3);
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, "abc");  // ties spread instead of always landing on the first
}

TEST(Sticky, KeepsThePinnedBackendWhileEligible) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::sticky);
  for (int i = 0; i < 4; ++i) {
    auto c = p.pick(list, Clock::now(), {}, "b");
    EXPECT_EQ(c.backend->id(), "b");
    EXPECT_TRUE(c.pinned);
    EXPECT_FALSE(c.affinity_broken);
  }
}

TEST(Sticky, RepinsAndReportsBrokenAffinity) {
  auto list = make({"a", "b", "c"});
  Picker p(Algorithm::sticky);
  list[1]->on_connect_failure(Clock::now());
  auto c = p.pick(list, Clock::now(), {}, "b");
  ASSERT_TRUE(c.backend);
  EXPECT_NE(c.backend->id(), "b");
  EXPECT_TRUE(c.affinity_broken);
  auto gone = p.pick(list, Clock::now(), {}, "zzz");  // a backend that left
  EXPECT_TRUE(gone.affinity_broken);
  auto fresh = p.pick(list, Clock::now(), {}, "");  // no cookie yet: not broken
  EXPECT_FALSE(fresh.affinity_broken);
  EXPECT_FALSE(fresh.pinned);
}

TEST(Sticky, CookieParsing) {
  EXPECT_EQ(find_cookie("a=1; scalelab_backend=app-2; b=3", "scalelab_backend"), "app-2");
  EXPECT_EQ(find_cookie("scalelab_backend=\"app-1\"", "scalelab_backend"), "app-1");
  EXPECT_EQ(find_cookie("xscalelab_backend=app-2", "scalelab_backend"), "");
  EXPECT_EQ(find_cookie("", "scalelab_backend"), "");
  EXPECT_EQ(find_cookie(";;=;scalelab_backend", "scalelab_backend"), "");
  EXPECT_EQ(affinity_cookie("sb", "app-1"), "sb=app-1; Path=/; HttpOnly; SameSite=Lax");
}

// Slow start: a backend that just turned healthy is passed over with probability
// 1 - warmth, its warmth rising from 10 % to 1 over the ramp; alone, it still takes
// everything (the pick falls back rather than answering 503).
TEST(SlowStart, ANewBackendsShareRampsUpAndAloneItTakesEverything) {
  using namespace std::chrono_literals;
  auto old_one = make({"a"});
  std::this_thread::sleep_for(150ms);
  auto fresh = make({"b"});
  const auto born = Clock::now();
  BackendList both{old_one[0], fresh[0]};
  EXPECT_DOUBLE_EQ(fresh[0]->warmth(born, 0ms), 1.0) << "no ramp: full share at once";
  EXPECT_DOUBLE_EQ(fresh[0]->warmth(born, 100ms), Backend::kSlowStartFloor);
  EXPECT_NEAR(fresh[0]->warmth(born + 50ms, 100ms), 0.5, 0.05);
  EXPECT_DOUBLE_EQ(fresh[0]->warmth(born + 100ms, 100ms), 1.0);

  auto share_of_b = [&](Picker& p, Clock::time_point now) {
    int b = 0;
    for (int i = 0; i < 10000; ++i) b += p.pick(both, now).backend->id() == "b";
    return b / 10000.0;
  };
  Picker rr(Algorithm::round_robin, 100ms);
  EXPECT_GT(share_of_b(rr, born + 2ms), 0.03);
  EXPECT_LT(share_of_b(rr, born + 2ms), 0.15);
  EXPECT_NEAR(share_of_b(rr, born + 100ms), 0.5, 0.01) << "warm: an equal share";
  Picker off(Algorithm::round_robin);
  EXPECT_NEAR(share_of_b(off, born + 2ms), 0.5, 0.01) << "slow start off: an equal share at once";
  Picker lc(Algorithm::least_conn, 100ms);
  EXPECT_LT(share_of_b(lc, born + 2ms), 0.15);

  Picker alone(Algorithm::round_robin, 100ms);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(alone.pick(fresh, born).backend, fresh[0]);
}
