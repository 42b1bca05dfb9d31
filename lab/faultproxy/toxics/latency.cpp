// latency: holds every chunk for `latency` ms, plus or minus up to `jitter` ms drawn
// per chunk. A link with request/response traffic (Redis, HTTP) therefore sees its
// round trip grow by the latency once per direction the toxic covers.
#include <algorithm>

#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class Latency final : public Toxic {
 public:
  explicit Latency(const ToxicSpec& spec)
      : Toxic(spec), latency_ms_(spec.attribute("latency")), jitter_ms_(spec.attribute("jitter")) {}

  asio::awaitable<void> on_data(ToxicContext& ctx, Direction, std::string_view data,
                                const Forward& next) const override {
    const double spread = jitter_ms_ > 0 ? (random_unit() * 2 - 1) * jitter_ms_ : 0.0;
    const double delay = std::max(0.0, latency_ms_ + spread);
    // Removal cuts the wait short: the chunk goes on at once.
    co_await ctx.sleep_for(millis(delay));
    co_await next(data);
  }

 private:
  double latency_ms_;
  double jitter_ms_;
};

}  // namespace

const ToxicKind& latency() {
  static const ToxicKind kind{
      {"latency", "delays every chunk of data by latency +/- jitter",
       {{"latency", 0, 0, kDayMs, false, "ms", "added delay"},
        {"jitter", 0, 0, kDayMs, false, "ms", "uniform random spread around latency"}}},
      make<Latency>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
