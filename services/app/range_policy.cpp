// The app's answer to Range; the rules are in range_policy.hpp.
#include "services/app/range_policy.hpp"

namespace scalelab::app {

RangeAnswer choose_range(const httplib::Request& req, std::uint64_t size) {
  const RangeAnswer whole{RangeAnswer::whole, {0, size}};
  if (size == 0 || !req.has_header("Range") || req.has_header("If-Range")) return whole;
  if (req.get_header_value_count("Range") != 1) return whole;  // not one range-set: invalid
  const auto specs = http_range::parse(req.get_header_value("Range"));
  if (!specs || specs->size() != 1) return whole;
  const auto slice = http_range::resolve(specs->front(), size);
  if (!slice) return {RangeAnswer::unsatisfiable, {}};
  return {RangeAnswer::partial, *slice};
}

}  // namespace scalelab::app
