// down: the link is gone. Connections it reaches are cut (closed on both sides), and
// new ones are refused: with toxicity 1 the proxy stops listening, so clients get
// ECONNREFUSED exactly as from a dead server; below 1 the affected connections are
// accepted and reset at once. Removing the toxic restores service. It ignores the
// direction: a link is down both ways.
#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy::toxics {
namespace {

class Down final : public Toxic {
 public:
  using Toxic::Toxic;

  asio::awaitable<void> on_attach(ToxicContext& ctx) const override {
    ctx.connection().close_connection("down");
    co_return;
  }

  bool refuses_connections() const override { return true; }
};

}  // namespace

const ToxicKind& down() {
  static const ToxicKind kind{
      {"down", "refuses new connections and cuts existing ones", {}},
      make<Down>};
  return kind;
}

}  // namespace scalelab::faultproxy::toxics
