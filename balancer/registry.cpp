// Membership bookkeeping; see registry.hpp.
#include "balancer/registry.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace scalelab::balancer {

Registry::Registry(HealthPolicy policy, Metrics* metrics)
    : policy_(policy), metrics_(metrics), snapshot_(std::make_shared<const BackendList>()) {}

void Registry::publish_locked() {
  snapshot_ = std::make_shared<const BackendList>(backends_);
  version_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<Backend> Registry::add(const std::string& id, const net::HostPort& address,
                                       const boost::asio::ip::tcp::endpoint& endpoint, Source source,
                                       std::string* error) {
  std::lock_guard lock(mu_);
  for (const auto& b : backends_) {
    if (b->id() == id) {
      if (error) *error = "backend '" + id + "' already exists";
      return nullptr;
    }
  }
  auto backend =
      std::make_shared<Backend>(id, address, endpoint, source, policy_, metrics_ ? metrics_->backend(id) : nullptr);
  backends_.push_back(backend);
  publish_locked();
  log::info("backend added", {{"backend", id}, {"address", address.str()}, {"source", source_name(source)}});
  return backend;
}

std::shared_ptr<Backend> Registry::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& b : backends_)
    if (b->id() == id) return b;
  return nullptr;
}

bool Registry::drain(const std::string& id, bool remove) {
  std::lock_guard lock(mu_);
  for (const auto& b : backends_) {
    if (b->id() != id) continue;
    b->set_state(AdminState::draining);
    if (remove) b->mark_for_removal();
    publish_locked();
    log::info(remove ? "backend draining before removal" : "backend draining",
              {{"backend", id}, {"in_flight", b->in_flight.load()}});
    return true;
  }
  return false;
}

bool Registry::undrain(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& b : backends_) {
    if (b->id() != id || b->remove_when_drained()) continue;
    b->set_state(AdminState::active);
    publish_locked();
    log::info("backend back in rotation", {{"backend", id}});
    return true;
  }
  return false;
}

std::vector<std::shared_ptr<Backend>> Registry::reap_drained() {
  std::vector<std::shared_ptr<Backend>> gone;
  std::lock_guard lock(mu_);
  auto keep = std::stable_partition(backends_.begin(), backends_.end(), [](const std::shared_ptr<Backend>& b) {
    // The session raises in_flight before it re-checks state (seq_cst both sides), so
    // zero here after draining began means no request can still start on it.
    return !(b->remove_when_drained() && b->in_flight.load() == 0);
  });
  if (keep == backends_.end()) return gone;
  gone.assign(keep, backends_.end());
  backends_.erase(keep, backends_.end());
  publish_locked();
  for (const auto& b : gone) log::info("backend removed", {{"backend", b->id()}});
  return gone;
}

std::shared_ptr<const BackendList> Registry::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

DnsChange reconcile_dns(const BackendList& current, const std::vector<net::HostPort>& resolved) {
  DnsChange change;
  for (const auto& address : resolved) {
    const bool present = std::any_of(current.begin(), current.end(), [&](const std::shared_ptr<Backend>& b) {
      return b->source() == Source::dns && b->address() == address && !b->remove_when_drained();
    });
    const bool duplicate = std::find(change.to_add.begin(), change.to_add.end(), address) != change.to_add.end();
    if (!present && !duplicate) change.to_add.push_back(address);
  }
  for (const auto& b : current) {
    if (b->source() != Source::dns || b->remove_when_drained()) continue;
    if (std::find(resolved.begin(), resolved.end(), b->address()) == resolved.end())
      change.to_remove.push_back(b->id());
  }
  return change;
}

}  // namespace scalelab::balancer
