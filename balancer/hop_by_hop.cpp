// Header rewriting across the proxy; see hop_by_hop.hpp.
#include "balancer/hop_by_hop.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <vector>

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

void strip_hop_by_hop(http::fields& fields) {
  // Collect the names Connection lists before erasing Connection itself.
  std::vector<std::string> listed;
  for (auto it = fields.find(http::field::connection); it != fields.end() && it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list{it->value()}) {
      if (boost::beast::iequals(token, "host") || boost::beast::iequals(token, "content-length")) continue;
      listed.emplace_back(token);
    }
  }
  // One pass over the fields (a handful per message) instead of a lookup per name.
  for (auto it = fields.begin(); it != fields.end();) {
    bool drop = always_hop_by_hop(it->name());
    for (std::size_t i = 0; !drop && i < listed.size(); ++i) drop = boost::beast::iequals(it->name_string(), listed[i]);
    it = drop ? fields.erase(it) : std::next(it);
  }
}

void add_forwarded_for(http::fields& fields, std::string_view client_ip, std::string_view proto) {
  std::string chain;
  const auto [first, last] = fields.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    if (!chain.empty()) chain += ", ";
    chain.append(it->value().data(), it->value().size());
  }
  if (!chain.empty()) chain += ", ";
  chain += client_ip;
  fields.set("X-Forwarded-For", chain);
  fields.set("X-Forwarded-Proto", boost::beast::string_view(proto.data(), proto.size()));
}

}  // namespace scalelab::balancer
