// Header rewriting across the proxy; see hop_by_hop.hpp.
#include "balancer/hop_by_hop.hpp"
#include "common/text.hpp"

namespace scalelab::balancer {

namespace http = boost::beast::http;

namespace {
bool always_hop_by_hop(http::field f) {
  switch (f) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::proxy_authenticate:
    case http::field::proxy_authorization:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::upgrade:
      return true;
    default:
      return false;
  }
}
}  // namespace

void HopByHop::add_listed(std::string_view name) {
  if (count_ < listed_.size())
    listed_[count_++] = name;
  else
    more_.push_back(name);
}

bool HopByHop::drops(http::field f, boost::beast::string_view name) const {
  if (always_hop_by_hop(f)) return true;
  for (std::size_t i = 0; i < count_; ++i)
    if (text::iequals(name, listed_[i])) return true;
  for (const auto& n : more_)
    if (text::iequals(name, n)) return true;
  return false;
}

bool is_forwarded_for(http::field f, boost::beast::string_view name) {
  return f == http::field::unknown && text::iequals(name, "X-Forwarded-For");
}

}  // namespace scalelab::balancer
