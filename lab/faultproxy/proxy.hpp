// A Proxy is one named link of the lab (e.g. "redis": 127.0.0.1:7001 ->
// 127.0.0.1:6379). It owns the listening socket, the live connections and the ordered
// list of toxics, and applies every toxic change to live connections at once. A down
// toxic with toxicity 1 closes the listening socket, so clients get ECONNREFUSED as
// from a dead server; removing it listens again on the same port.
//
// Threading: all methods must be called on the io_context the proxy was built with,
// which must be run by one thread.
#pragma once

#include "common/asio.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/faultproxy/connection.hpp"
#include "lab/faultproxy/options.hpp"
#include "lab/faultproxy/toxic.hpp"

namespace scalelab::faultproxy {

class Proxy : public std::enable_shared_from_this<Proxy> {
 public:
  // Resolves both addresses and binds the listener. Throws std::system_error (port in
  // use, unresolvable host).
  Proxy(asio::io_context& io, const ProxyDefinition& definition, MetricFamilies& families);

  void start();  // starts accepting
  void stop();   // stops listening and closes every connection

  const std::string& name() const { return definition_.name; }
  std::uint16_t listen_port() const { return definition_.listen.port; }

  // Adds a toxic (applied to live connections at once). False if the name is taken.
  bool add_toxic(const ToxicSpec& spec);
  // Removes one toxic; false if there is none by that name.
  bool remove_toxic(const std::string& name);
  // Removes every toxic.
  void clear_toxics();

  std::optional<nlohmann::json> toxic_json(const std::string& name) const;
  nlohmann::json toxics_json() const;  // [toxic, ...] in the order added
  // {"name","listen","upstream","listening","toxics":[...],"stats":{...}}
  nlohmann::json to_json() const;

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<Proxy> self);  // self: see Connection
  bool should_refuse() const;
  void update_listening();
  bool try_listen();
  std::vector<std::shared_ptr<Connection>> live_connections() const;

  asio::io_context& io_;
  ProxyDefinition definition_;
  asio::ip::tcp::endpoint listen_endpoint_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer wake_;  // cancelled when the accept loop should look again
  std::shared_ptr<LinkState> link_;
  std::vector<std::shared_ptr<const Toxic>> toxics_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace scalelab::faultproxy
