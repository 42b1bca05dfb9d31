// Backends found through DNS. `docker compose --scale` and Kubernetes headless
// services publish their replicas as the addresses of one name, so that is what the
// balancer follows. A name:port is re-resolved at an
// interval; every address is a backend (source "dns", id "address:port"). Addresses
// that appear are added; addresses that vanish are drained, then removed. A failed
// resolution changes nothing (a DNS hiccup must not empty the pool) and is counted.
// Also home of resolve_endpoint(), the one-shot resolution of a backend address.
#pragma once

#include <optional>
#include <string>

#include "balancer/balancer_metrics.hpp"
#include "balancer/registry.hpp"
#include "common/asio.hpp"
#include "common/net.hpp"

namespace scalelab::balancer {

// The first address `hp` resolves to, or nullopt (with `error` set).
boost::asio::awaitable<std::optional<boost::asio::ip::tcp::endpoint>> resolve_endpoint(
    boost::asio::any_io_executor executor, const net::HostPort& hp, std::string& error);

class DnsDiscovery {
 public:
  DnsDiscovery(boost::asio::any_io_executor executor, Registry& registry, Metrics& metrics, net::HostPort target,
               std::chrono::milliseconds interval);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> resolve_once();

  boost::asio::any_io_executor executor_;
  Registry& registry_;
  Metrics& metrics_;
  const net::HostPort target_;
  const std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  bool last_failed_ = false;
};

}  // namespace scalelab::balancer
