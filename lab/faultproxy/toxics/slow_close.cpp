// slow_close: when the sender in the toxic's direction closes its side, the close
// reaches the other end `delay` ms later. Data still flows meanwhile; only the end of
// stream is late, as with a peer that lingers before closing.
#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class SlowClose final : public Toxic {
 public:
  explicit SlowClose(const ToxicSpec& spec) : Toxic(spec), delay_ms_(spec.attribute("delay")) {}

  asio::awaitable<void> on_close(ToxicContext& ctx, Direction) const override {
    co_await ctx.sleep_for(millis(delay_ms_));
  }

 private:
  double delay_ms_;
};

}  // namespace

const ToxicKind& slow_close() {
  static const ToxicKind kind{
      {"slow_close", "delays passing a close on by delay ms", {{"delay", 0, 0, kDayMs, false, "ms", "added delay"}}},
      make<SlowClose>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
