// bandwidth: lets at most `rate` KB/s (1 KB = 1000 bytes) through. Chunks are cut into
// slices of about 20 ms of transfer each, so the flow is smooth rather than bursty, and
// a pacing clock per connection and direction spaces them. Idle time earns no credit:
// a burst after a pause is paced like any other.
#include <algorithm>

#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class Bandwidth final : public Toxic {
 public:
  explicit Bandwidth(const ToxicSpec& spec)
      : Toxic(spec),
        bytes_per_second_(spec.attribute("rate") * 1000.0),
        slice_(std::max<std::size_t>(1, static_cast<std::size_t>(bytes_per_second_ * 0.020))) {}

  asio::awaitable<void> on_data(ToxicContext& ctx, Direction dir, std::string_view data,
                                const Forward& next) const override {
    using clock = std::chrono::steady_clock;
    auto& pace = ctx.pace(dir);
    pace = std::max(pace, clock::now());
    while (!data.empty()) {
      const std::string_view piece = data.substr(0, slice_);
      pace += std::chrono::duration_cast<clock::duration>(
          std::chrono::duration<double>(static_cast<double>(piece.size()) / bytes_per_second_));
      const bool paced = co_await ctx.sleep_for(pace - clock::now());  // not inside if(): g++ 12
      if (!paced) {
        co_await next(data);  // removed mid-chunk: the rest goes at full speed
        co_return;
      }
      co_await next(piece);
      data.remove_prefix(piece.size());
    }
  }

 private:
  double bytes_per_second_;
  std::size_t slice_;
};

}  // namespace

const ToxicKind& bandwidth() {
  static const ToxicKind kind{
      {"bandwidth", "limits the data rate",
       {{"rate", 0, 1, 10'000'000, true, "KB/s", "rate in kilobytes (1000 bytes) per second"}}},
      make<Bandwidth>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
