// Each toxic's logic, on a real io_context but against a fake connection: what it
// forwards, when, and what it does to the connection. Timing bounds are loose (this is
// a unit test on a shared machine); the measured, tight ones are in toxics_test.cpp.
#include "lab/faultproxy/toxic.hpp"

#include <gtest/gtest.h>

using namespace scalelab::faultproxy;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct FakeConnection : ConnectionControl {
  explicit FakeConnection(asio::io_context& io) : io(io) {}
  asio::any_io_executor executor() override { return io.get_executor(); }
  void close_connection(std::string_view why) override {
    ++closes;
    reason = why;
    closed_at = Clock::now();
  }
  void reset_connection(bool client_side, bool upstream_side, std::string_view why) override {
    ++resets;
    rst_client = client_side;
    rst_upstream = upstream_side;
    reason = why;
    closed_at = Clock::now();
  }
  asio::io_context& io;
  int closes = 0;
  int resets = 0;
  bool rst_client = false;
  bool rst_upstream = false;
  std::string reason;
  Clock::time_point closed_at{};
};

struct Delivery {
  std::string data;
  Clock::duration at;
};

class ToxicLogic : public ::testing::Test {
 protected:
  std::shared_ptr<ToxicContext> attach(const nlohmann::json& body) {
    toxic = make_toxic(parse_toxic_spec(body));
    return std::make_shared<ToxicContext>(toxic, conn);
  }
  // Runs `data` through the toxic in `dir`, recording every forwarded piece.
  void send(const std::shared_ptr<ToxicContext>& ctx, Direction dir, std::string data) {
    asio::co_spawn(
        io,
        [this, ctx, dir, data = std::move(data)]() -> asio::awaitable<void> {
          const Forward next = [this](std::string_view piece) -> asio::awaitable<void> {
            delivered.push_back({std::string(piece), Clock::now() - start});
            co_return;
          };
          co_await toxic->on_data(*ctx, dir, data, next);
        },
        asio::detached);
  }
  void spawn_attach(const std::shared_ptr<ToxicContext>& ctx) {
    asio::co_spawn(
        io, [this, ctx]() -> asio::awaitable<void> { co_await toxic->on_attach(*ctx); }, asio::detached);
  }
  void deactivate_after(const std::shared_ptr<ToxicContext>& ctx, Clock::duration d) {
    auto timer = std::make_shared<asio::steady_timer>(io, d);
    timer->async_wait([ctx, timer](auto) { ctx->deactivate(); });
  }
  std::string all_delivered() const {
    std::string out;
    for (const auto& d : delivered) out += d.data;
    return out;
  }

  asio::io_context io;
  FakeConnection conn{io};
  std::shared_ptr<const Toxic> toxic;
  std::vector<Delivery> delivered;
  Clock::time_point start = Clock::now();
};

}  // namespace

TEST_F(ToxicLogic, ContextAffectsItsDirectionsOnly) {
  EXPECT_TRUE(attach({{"type", "latency"}, {"direction", "upstream"}})->affects(Direction::upstream));
  EXPECT_FALSE(attach({{"type", "latency"}, {"direction", "upstream"}})->affects(Direction::downstream));
  EXPECT_FALSE(attach({{"type", "latency"}})->affects(Direction::upstream));
  auto both = attach({{"type", "latency"}, {"direction", "both"}});
  EXPECT_TRUE(both->affects(Direction::upstream) && both->affects(Direction::downstream));
}

TEST_F(ToxicLogic, LatencyHoldsEachChunk) {
  auto ctx = attach({{"type", "latency"}, {"attributes", {{"latency", 60}}}});
  send(ctx, Direction::downstream, "hello");
  io.run();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].data, "hello");
  EXPECT_GE(delivered[0].at, 60ms);
  EXPECT_LT(delivered[0].at, 500ms);
}

TEST_F(ToxicLogic, LatencyJitterStaysWithinItsSpread) {
  auto ctx = attach({{"type", "latency"}, {"attributes", {{"latency", 40}, {"jitter", 20}}}});
  for (int i = 0; i < 20; ++i) send(ctx, Direction::downstream, "x");  // concurrently: each its own draw
  io.run();
  ASSERT_EQ(delivered.size(), 20u);
  Clock::duration lo = 1h, hi{};
  for (const auto& d : delivered) {
    lo = std::min(lo, d.at);
    hi = std::max(hi, d.at);
  }
  EXPECT_GE(lo, 20ms);
  EXPECT_LT(hi, 400ms);
  EXPECT_GT(hi - lo, 5ms);  // 20 uniform draws over 40 ms are not all alike
}

TEST_F(ToxicLogic, RemovalReleasesAHeldChunkAtOnce) {
  auto ctx = attach({{"type", "latency"}, {"attributes", {{"latency", 10000}}}});
  send(ctx, Direction::downstream, "late");
  deactivate_after(ctx, 30ms);
  io.run();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_LT(delivered[0].at, 2s);
}

TEST_F(ToxicLogic, BandwidthPacesSlicesInOrder) {
  auto ctx = attach({{"type", "bandwidth"}, {"attributes", {{"rate", 100}}}});  // 100 000 B/s, 2000 B slices
  std::string payload(20000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  send(ctx, Direction::downstream, payload);
  io.run();
  EXPECT_EQ(all_delivered(), payload);
  EXPECT_EQ(delivered.size(), 10u);
  EXPECT_GE(delivered.back().at, 190ms);  // 20 000 B at 100 000 B/s = 200 ms
  EXPECT_LT(delivered.back().at, 1s);
}

TEST_F(ToxicLogic, BandwidthRemovedMidChunkSendsTheRestAtOnce) {
  auto ctx = attach({{"type", "bandwidth"}, {"attributes", {{"rate", 1}}}});  // 1000 B/s
  send(ctx, Direction::downstream, std::string(10000, 'z'));                  // 10 s at that rate
  deactivate_after(ctx, 50ms);
  io.run();
  EXPECT_EQ(all_delivered(), std::string(10000, 'z'));
  EXPECT_LT(delivered.back().at, 2s);
}

TEST_F(ToxicLogic, TimeoutSwallowsDataAndClosesAfterItsTime) {
  auto ctx = attach({{"type", "timeout"}, {"attributes", {{"timeout", 50}}}});
  spawn_attach(ctx);
  send(ctx, Direction::downstream, "gone");
  io.run();
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(conn.closes, 1);
  EXPECT_EQ(conn.reason, "timeout");
  EXPECT_GE(conn.closed_at - start, 50ms);
}

TEST_F(ToxicLogic, BlackholeNeverClosesAndHoldsTheCloseUntilRemoved) {
  auto ctx = attach({{"type", "timeout"}});
  spawn_attach(ctx);
  send(ctx, Direction::downstream, "gone");
  bool close_passed = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await toxic->on_close(*ctx, Direction::downstream);
        close_passed = true;
      },
      asio::detached);
  io.run_for(100ms);
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(conn.closes, 0);
  EXPECT_FALSE(close_passed);
  ctx->deactivate();
  io.run_for(100ms);
  EXPECT_TRUE(close_passed);
  EXPECT_EQ(conn.closes, 0);
}

TEST_F(ToxicLogic, ResetPeerResetsTheSidesOfItsDirection) {
  auto down = attach({{"type", "reset_peer"}});
  spawn_attach(down);
  io.run();
  EXPECT_EQ(conn.resets, 1);
  EXPECT_TRUE(conn.rst_client);
  EXPECT_FALSE(conn.rst_upstream);

  io.restart();
  auto up = attach({{"type", "reset_peer"}, {"direction", "upstream"}, {"attributes", {{"timeout", 40}}}});
  start = Clock::now();
  spawn_attach(up);
  io.run();
  EXPECT_EQ(conn.resets, 2);
  EXPECT_FALSE(conn.rst_client);
  EXPECT_TRUE(conn.rst_upstream);
  EXPECT_GE(conn.closed_at - start, 40ms);
}

TEST_F(ToxicLogic, ResetPeerRemovedBeforeItsTimeDoesNothing) {
  auto ctx = attach({{"type", "reset_peer"}, {"attributes", {{"timeout", 5000}}}});
  spawn_attach(ctx);
  deactivate_after(ctx, 20ms);
  io.run();
  EXPECT_EQ(conn.resets, 0);
}

TEST_F(ToxicLogic, SlowCloseDelaysTheCloseNotTheData) {
  auto ctx = attach({{"type", "slow_close"}, {"attributes", {{"delay", 80}}}});
  send(ctx, Direction::downstream, "data");
  Clock::duration close_at{};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await toxic->on_close(*ctx, Direction::downstream);
        close_at = Clock::now() - start;
      },
      asio::detached);
  io.run();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_LT(delivered[0].at, 50ms);
  EXPECT_GE(close_at, 80ms);
}

TEST_F(ToxicLogic, DownRefusesAndCuts) {
  auto ctx = attach({{"type", "down"}});
  EXPECT_TRUE(toxic->refuses_connections());
  spawn_attach(ctx);
  io.run();
  EXPECT_EQ(conn.closes, 1);
  EXPECT_EQ(conn.reason, "down");
  EXPECT_FALSE(attach({{"type", "latency"}})->toxic().refuses_connections());
}

TEST_F(ToxicLogic, SleepEndsEarlyOnceDeactivated) {
  auto ctx = attach({{"type", "latency"}});
  bool full = true;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { full = co_await ctx->sleep_for(10s); }, asio::detached);
  deactivate_after(ctx, 10ms);
  io.run();
  EXPECT_FALSE(full);
  EXPECT_FALSE(ctx->active());
}
