// Builds the Toxic a validated spec names. Its type is mapped to a class here, so
// callers only ever see the Toxic interface.
#include <stdexcept>

#include "lab/faultproxy/toxic.hpp"
#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy {

std::shared_ptr<const Toxic> make_toxic(const ToxicSpec& spec) {
  if (spec.type == "latency") return toxics::make_latency(spec);
  if (spec.type == "bandwidth") return toxics::make_bandwidth(spec);
  if (spec.type == "timeout") return toxics::make_timeout(spec);
  if (spec.type == "reset_peer") return toxics::make_reset_peer(spec);
  if (spec.type == "slow_close") return toxics::make_slow_close(spec);
  if (spec.type == "down") return toxics::make_down(spec);
  throw std::invalid_argument("no toxic class for type '" + spec.type + "'");
}

}  // namespace scalelab::faultproxy
