// The Registry is the balancer's membership: which backends exist right now.
// Backends arrive from three sources (the static
// list, DNS discovery, the admin API) and leave by draining: a draining backend takes
// no new requests, its in-flight ones finish, then it goes. Control-plane code mutates
// the registry (any thread, under a mutex); the proxy's event loops read an immutable
// snapshot and only reload it when version() moves, so the request path takes no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "balancer/backend.hpp"
#include "balancer/balancer_metrics.hpp"
#include "balancer/health_state.hpp"

namespace scalelab::balancer {

using BackendList = std::vector<std::shared_ptr<Backend>>;

class Registry {
 public:
  Registry(HealthPolicy policy, Metrics* metrics);

  // Adds a backend. On a duplicate id returns nullptr and sets `error`.
  std::shared_ptr<Backend> add(const std::string& id, const net::HostPort& address,
                               const boost::asio::ip::tcp::endpoint& endpoint, Source source, std::string* error);

  std::shared_ptr<Backend> find(const std::string& id) const;

  // Stops new requests to `id`; with `remove`, it leaves once idle. False when unknown.
  bool drain(const std::string& id, bool remove);
  // Puts a drained (not removed) backend back into rotation. False when unknown or removing.
  bool undrain(const std::string& id);

  // Takes out every backend marked for removal that has no request in flight.
  std::vector<std::shared_ptr<Backend>> reap_drained();

  std::shared_ptr<const BackendList> snapshot() const;
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  void publish_locked();

  const HealthPolicy policy_;
  Metrics* const metrics_;
  mutable std::mutex mu_;
  BackendList backends_;
  std::shared_ptr<const BackendList> snapshot_;
  std::atomic<std::uint64_t> version_{1};
};

// What a DNS answer changes: addresses to add (not yet present from DNS) and the ids
// of DNS-sourced backends whose address vanished (to drain and remove). Backends from
// other sources are never touched. Pure, so it is unit-tested.
struct DnsChange {
  std::vector<net::HostPort> to_add;
  std::vector<std::string> to_remove;
};
DnsChange reconcile_dns(const BackendList& current, const std::vector<net::HostPort>& resolved);

}  // namespace scalelab::balancer
