#include "lab/supervisor/balancer_admin.hpp"

#include <httplib.h>

namespace scalelab::lab {
namespace {

httplib::Client client(std::uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_tcp_nodelay(true);
  c.set_connection_timeout(0, 300000);
  c.set_read_timeout(1, 0);
  c.set_keep_alive(false);
  return c;
}

}  // namespace

bool BalancerAdmin::add(const std::string& id, const std::string& address) const {
  auto c = client(port_);
  auto r = c.Post("/admin/backends", nlohmann::json{{"id", id}, {"address", address}}.dump(), "application/json");
  return r && (r->status == 201 || r->status == 200 || r->status == 409);
}

bool BalancerAdmin::remove(const std::string& id) const {
  auto c = client(port_);
  auto r = c.Delete("/admin/backends/" + id);
  return r && (r->status == 202 || r->status == 200 || r->status == 204 || r->status == 404);
}

std::optional<bool> BalancerAdmin::lists(const std::string& id) const {
  auto c = client(port_);
  auto r = c.Get("/admin/backends/" + id);
  if (!r) return std::nullopt;
  return r->status == 200;
}

std::optional<nlohmann::json> BalancerAdmin::backends() const {
  auto c = client(port_);
  auto r = c.Get("/admin/backends");
  if (!r || r->status != 200) return std::nullopt;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace scalelab::lab
