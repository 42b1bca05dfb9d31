// Header rewriting across the proxy; see hop_by_hop.hpp.
#include "balancer/hop_by_hop.hpp"

#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <vector>

namespace scalelab::balancer {

namespace http = boost::beast::http;

void strip_hop_by_hop(http::fields& fields) {
  // Collect the names Connection lists before erasing Connection itself.
  std::vector<std::string> listed;
  for (auto it = fields.find(http::field::connection); it != fields.end() && it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list{it->value()}) listed.emplace_back(token);
  }
  for (const auto& name : listed) {
    if (boost::beast::iequals(name, "host") || boost::beast::iequals(name, "content-length")) continue;
    fields.erase(name);
  }
  static constexpr std::array kFields = {http::field::connection,
                                         http::field::keep_alive,
                                         http::field::proxy_connection,
                                         http::field::proxy_authenticate,
                                         http::field::proxy_authorization,
                                         http::field::te,
                                         http::field::trailer,
                                         http::field::transfer_encoding,
                                         http::field::upgrade};
  for (auto f : kFields) fields.erase(f);
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
