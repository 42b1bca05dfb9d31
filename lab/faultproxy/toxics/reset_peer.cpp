// reset_peer: `timeout` ms after the toxic reached a connection (at once with 0), the
// connection is torn down with a TCP RST (SO_LINGER 0), so the peer reads
// "connection reset by peer" instead of a clean end of stream. The direction picks who
// gets the RST: downstream the client, upstream the server, both both; the other side
// is closed normally.
#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class ResetPeer final : public Toxic {
 public:
  explicit ResetPeer(const ToxicSpec& spec) : Toxic(spec), timeout_ms_(spec.attribute("timeout")) {}

  asio::awaitable<void> on_attach(ToxicContext& ctx) const override {
    const bool elapsed = co_await ctx.sleep_for(millis(timeout_ms_));  // not inside if(): g++ 12
    if (!elapsed) co_return;
    ctx.connection().reset_connection(ctx.affects(Direction::downstream), ctx.affects(Direction::upstream),
                                      "reset_peer");
  }

 private:
  double timeout_ms_;
};

}  // namespace

const ToxicKind& reset_peer() {
  static const ToxicKind kind{
      {"reset_peer", "resets the connection with a TCP RST after timeout ms",
       {{"timeout", 0, 0, kDayMs, false, "ms", "time before the reset"}}},
      make<ResetPeer>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
