// DNS membership; see dns_discovery.hpp.
#include "balancer/dns_discovery.hpp"

#include <algorithm>

#include "balancer/settings.hpp"
#include "balancer/socket_io.hpp"
#include "common/log.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<std::optional<tcp::endpoint>> resolve_endpoint(asio::any_io_executor executor, const net::HostPort& hp,
                                                               std::string& error) {
  tcp::resolver resolver(executor);
  boost::system::error_code ec;
  const std::string port = std::to_string(hp.port);  // not a temporary: see proxy_session.cpp
  auto results = co_await resolver.async_resolve(hp.host, port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec || results.empty()) {
    error = "cannot resolve '" + hp.host + "': " + (ec ? ec.message() : "no address");
    co_return std::nullopt;
  }
  co_return results.begin()->endpoint();
}

DnsDiscovery::DnsDiscovery(asio::any_io_executor executor, Registry& registry, Metrics& metrics, net::HostPort target,
                           std::chrono::milliseconds interval)
    : executor_(executor),
      registry_(registry),
      metrics_(metrics),
      target_(std::move(target)),
      interval_(interval),
      timer_(executor) {}

void DnsDiscovery::start() { asio::co_spawn(executor_, loop(), asio::detached); }

void DnsDiscovery::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> DnsDiscovery::loop() {
  while (!stopped_) {
    co_await resolve_once();
    if (stopped_) break;
    timer_.expires_after(interval_);
    co_await io::wait(timer_);
  }
}

asio::awaitable<void> DnsDiscovery::resolve_once() {
  tcp::resolver resolver(executor_);
  // The system resolver (getaddrinfo) reads /etc/hosts afresh on every call, which is
  // also how the tests change a name's addresses.
  boost::system::error_code ec;
  const std::string port = std::to_string(target_.port);
  auto results = co_await resolver.async_resolve(target_.host, port, asio::redirect_error(asio::use_awaitable, ec));
  if (stopped_) co_return;
  metrics_.count_dns_resolution(!ec);
  if (ec) {
    if (!last_failed_)
      log::warn("dns discovery failed; keeping the current backends",
                {{"name", target_.host}, {"error", ec.message()}});
    last_failed_ = true;
    co_return;
  }
  last_failed_ = false;
  std::vector<net::HostPort> resolved;
  for (const auto& entry : results) {
    net::HostPort hp{entry.endpoint().address().to_string(), entry.endpoint().port()};
    if (std::find(resolved.begin(), resolved.end(), hp) == resolved.end()) resolved.push_back(hp);
  }
  const DnsChange change = reconcile_dns(*registry_.snapshot(), resolved);
  for (const auto& hp : change.to_add) {
    boost::system::error_code aec;
    const auto address = asio::ip::make_address(hp.host, aec);
    if (aec) continue;
    std::string error;
    if (!registry_.add(derive_backend_id(hp), hp, tcp::endpoint(address, hp.port), Source::dns, &error))
      log::debug("dns discovery: address not added", {{"address", hp.str()}, {"reason", error}});
  }
  for (const auto& id : change.to_remove) registry_.drain(id, true);
}

}  // namespace scalelab::balancer
