// The catalog and the factory, both read off the registry in toxics.hpp, so nothing
// outside a toxic's own file and its registry line names it.
#include <stdexcept>

#include "lab/faultproxy/toxics/toxics.hpp"

namespace scalelab::faultproxy {

const std::vector<const ToxicKind*>& toxic_kinds() {
#define SCALELAB_TOXIC_ENTRY(name) &toxics::name(),
  static const std::vector<const ToxicKind*> kinds = {SCALELAB_TOXICS(SCALELAB_TOXIC_ENTRY)};
#undef SCALELAB_TOXIC_ENTRY
  return kinds;
}

const std::vector<ToxicTypeInfo>& toxic_types() {
  static const std::vector<ToxicTypeInfo> types = [] {
    std::vector<ToxicTypeInfo> out;
    for (const ToxicKind* kind : toxic_kinds()) out.push_back(kind->info);
    return out;
  }();
  return types;
}

std::shared_ptr<const Toxic> make_toxic(const ToxicSpec& spec) {
  for (const ToxicKind* kind : toxic_kinds())
    if (kind->info.type == spec.type) return kind->make(spec);
  throw std::invalid_argument("no toxic class for type '" + spec.type + "'");
}

}  // namespace scalelab::faultproxy
