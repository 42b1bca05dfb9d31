#include "lab/faultproxy/options.hpp"

#include <set>

#include "lab/faultproxy/toxic_spec.hpp"

namespace scalelab::faultproxy {

ProxyDefinition parse_proxy_definition(const std::string& text) {
  const std::string shape = " (expected NAME=LISTEN_HOST:PORT,UPSTREAM_HOST:PORT)";
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw std::invalid_argument("proxy '" + text + "': missing '='" + shape);
  const auto comma = text.find(',', eq);
  if (comma == std::string::npos) throw std::invalid_argument("proxy '" + text + "': missing ','" + shape);
  ProxyDefinition def;
  def.name = text.substr(0, eq);
  if (!valid_name(def.name)) throw std::invalid_argument("proxy '" + text + "': bad name '" + def.name + "'" + shape);
  const std::string listen = text.substr(eq + 1, comma - eq - 1);
  const std::string upstream = text.substr(comma + 1);
  const auto l = net::parse_host_port(listen);
  if (!l) throw std::invalid_argument("proxy '" + text + "': bad listen address '" + listen + "'" + shape);
  const auto u = net::parse_host_port(upstream);
  if (!u) throw std::invalid_argument("proxy '" + text + "': bad upstream address '" + upstream + "'" + shape);
  def.listen = *l;
  def.upstream = *u;
  return def;
}

void validate(const ServerOptions& options) {
  if (options.proxies.empty()) throw std::invalid_argument("no proxy given (--proxy NAME=LISTEN,UPSTREAM)");
  std::set<std::string> names;
  std::set<std::uint16_t> ports{options.api.port};
  for (const auto& p : options.proxies) {
    if (!names.insert(p.name).second) throw std::invalid_argument("proxy name '" + p.name + "' given twice");
    if (!ports.insert(p.listen.port).second)
      throw std::invalid_argument("port " + std::to_string(p.listen.port) + " used twice (proxy '" + p.name + "')");
  }
  if (!net::is_loopback(options.api.host))
    throw std::invalid_argument("--api must be a loopback address, got '" + options.api.host + "'");
}

}  // namespace scalelab::faultproxy
