// Declares the maker of every toxic class, and nothing else: the factory
// (toxic_factory.cpp) can build any of them while each class stays private to its own
// file under toxics/.
#pragma once

#include <memory>

#include "lab/faultproxy/toxic.hpp"

namespace scalelab::faultproxy::toxics {

std::shared_ptr<const Toxic> make_latency(const ToxicSpec& spec);
std::shared_ptr<const Toxic> make_bandwidth(const ToxicSpec& spec);
std::shared_ptr<const Toxic> make_timeout(const ToxicSpec& spec);
std::shared_ptr<const Toxic> make_reset_peer(const ToxicSpec& spec);
std::shared_ptr<const Toxic> make_slow_close(const ToxicSpec& spec);
std::shared_ptr<const Toxic> make_down(const ToxicSpec& spec);

}  // namespace scalelab::faultproxy::toxics
