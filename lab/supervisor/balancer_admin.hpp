// The supervisor's side of the balancer's admin API: tell it which instances exist.
// Every call is short and bounded; a failure returns false and the supervisor simply
// tries again on its next turn (the balancer may be restarting).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace scalelab::lab {

class BalancerAdmin {
 public:
  explicit BalancerAdmin(std::uint16_t admin_port) : port_(admin_port) {}
  // POST /admin/backends; an id already registered counts as success.
  bool add(const std::string& id, const std::string& address) const;
  // DELETE /admin/backends/{id}: the balancer drains it, then forgets it.
  bool remove(const std::string& id) const;
  // True while the balancer still lists `id` (draining or not); nullopt if unreachable.
  std::optional<bool> lists(const std::string& id) const;
  // GET /admin/backends, or nullopt.
  std::optional<nlohmann::json> backends() const;

 private:
  std::uint16_t port_;
};

}  // namespace scalelab::lab
