// The registry of toxics: one line each below, in the order help and error messages
// list them. A toxic is a file in this folder that defines `const ToxicKind& NAME()`
// (its catalog entry and its maker, next to its class) and its line here; the build
// picks up every .cpp in the folder. registry.cpp turns the list into toxic_kinds().
#pragma once

#include "lab/faultproxy/toxic.hpp"

#define SCALELAB_TOXICS(X) \
  X(latency)               \
  X(bandwidth)             \
  X(timeout)               \
  X(reset_peer)            \
  X(slow_close)            \
  X(down)

namespace scalelab::faultproxy::toxics {

#define SCALELAB_DECLARE_TOXIC(name) const ToxicKind& name();
SCALELAB_TOXICS(SCALELAB_DECLARE_TOXIC)
#undef SCALELAB_DECLARE_TOXIC

// Makes a toxic of class T from a spec: the maker most kinds use.
template <class T>
std::shared_ptr<const Toxic> make(const ToxicSpec& spec) {
  return std::make_shared<T>(spec);
}

}  // namespace scalelab::faultproxy::toxics
