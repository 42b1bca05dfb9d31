// timeout: data in the toxic's direction is swallowed, and the connection is closed
// `timeout` ms after the toxic reached it. With timeout 0 it is a blackhole: data
// vanishes and nothing closes, not even a close from the sender, until the toxic is
// removed. That is how a hung peer looks: the client waits on its own timeouts.
#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class Timeout final : public Toxic {
 public:
  explicit Timeout(const ToxicSpec& spec) : Toxic(spec), timeout_ms_(spec.attribute("timeout")) {}

  asio::awaitable<void> on_attach(ToxicContext& ctx) const override {
    if (timeout_ms_ <= 0) co_return;
    // Not `if (co_await ...)`: g++ 12 miscompiles co_await inside a condition.
    const bool elapsed = co_await ctx.sleep_for(millis(timeout_ms_));
    if (elapsed) ctx.connection().close_connection("timeout");
  }

  asio::awaitable<void> on_data(ToxicContext&, Direction, std::string_view, const Forward&) const override {
    co_return;  // swallowed
  }

  asio::awaitable<void> on_close(ToxicContext& ctx, Direction) const override {
    co_await ctx.wait_until_inactive();
  }

 private:
  double timeout_ms_;
};

}  // namespace

const ToxicKind& timeout() {
  static const ToxicKind kind{
      {"timeout", "swallows data and closes the connection after timeout ms; 0 blackholes until removed",
       {{"timeout", 0, 0, kDayMs, false, "ms", "time before the close; 0 never closes"}}},
      make<Timeout>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
