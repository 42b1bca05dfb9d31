#include "lab/supervisor/probes.hpp"

#include <httplib.h>

#include "common/backing_services.hpp"
#include "common/net.hpp"
#include "store/database.hpp"

namespace scalelab::lab {
namespace {

ProbeResult http_probe(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(0, static_cast<time_t>(std::min<long>(timeout.count(), 999) * 1000));
  client.set_read_timeout(timeout.count() / 1000, (timeout.count() % 1000) * 1000);
  client.set_keep_alive(false);
  auto r = client.Get(path);
  if (!r) return {false, "no answer: " + httplib::to_string(r.error()), {}};
  ProbeResult result{r->status == 200, {}, r->get_header_value("X-Scalelab-State")};
  if (!result.ready) {
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    result.detail = body.is_object() && body.contains("reason") ? body["reason"].get<std::string>()
                                                                 : "HTTP " + std::to_string(r->status);
  }
  return result;
}

}  // namespace

ProbeResult probe(Kind kind, std::uint16_t port, bool starting, std::chrono::milliseconds timeout) {
  switch (kind) {
    case Kind::app: return http_probe(port, "/readyz", timeout);
    case Kind::balancer: return http_probe(port, "/healthz", timeout);  // the admin port
    case Kind::faults: return http_probe(port, "/healthz", timeout);    // the API port
    case Kind::prometheus: return http_probe(port, "/-/ready", timeout);
    case Kind::postgres: {
      // Ready once it accepts connections and the instances' role and database exist:
      // made while it starts (idempotent, and a restarted server keeps them), then a
      // ping is enough; a superuser session every probe would be churn of our own.
      if (!starting)
        return store::server_accepts(services::postgres_url(port))
                   ? ProbeResult{true, {}, {}}
                   : ProbeResult{false, "not accepting connections", {}};
      try {
        store::bootstrap_database(services::postgres_url(port), kDbRole, kDbName);
        return ProbeResult{true, {}, {}};
      } catch (const std::exception& e) {
        return ProbeResult{false, e.what(), {}};
      }
    }
    case Kind::redis:
    case Kind::s3:
    case Kind::pgbouncer:
      return net::can_connect("127.0.0.1", port, timeout) ? ProbeResult{true, {}, {}}
                                                          : ProbeResult{false, "not accepting connections", {}};
  }
  return {};
}

}  // namespace scalelab::lab
