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

std::shared_ptr<const Toxic> make_slow_close(const ToxicSpec& spec) { return std::make_shared<SlowClose>(spec); }

}  // namespace scalelab::faultproxy::toxics
