#include "lab/faultproxy/proxy.hpp"

#include <boost/asio/redirect_error.hpp>

#include "common/log.hpp"
#include "lab/faultproxy/listen.hpp"

namespace scalelab::faultproxy {
namespace {

using asio::ip::tcp;
using boost::system::error_code;

}  // namespace

Proxy::Proxy(asio::io_context& io, const ProxyDefinition& definition, MetricFamilies& families)
    : io_(io),
      definition_(definition),
      listen_endpoint_(resolve_endpoint(io, definition.listen)),
      acceptor_(io),
      wake_(io),
      link_(std::make_shared<LinkState>(definition.name, resolve_endpoint(io, definition.upstream), families)) {
  listen_or_throw(acceptor_, listen_endpoint_, "proxy " + definition.name);
}

void Proxy::start() {
  log::info("proxy listening", {{"proxy", name()}, {"listen", definition_.listen.str()},
                                {"upstream", definition_.upstream.str()}});
  asio::co_spawn(io_, accept_loop(shared_from_this()), asio::detached);
}

void Proxy::stop() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  wake_.cancel();
  for (auto& c : live_connections()) c->close();
}

std::vector<std::shared_ptr<Connection>> Proxy::live_connections() const {
  // A copy: closing a connection erases it from the live map.
  std::vector<std::shared_ptr<Connection>> out;
  for (const auto& [id, weak] : link_->live)
    if (auto c = weak.lock()) out.push_back(std::move(c));
  return out;
}

asio::awaitable<void> Proxy::accept_loop([[maybe_unused]] std::shared_ptr<Proxy> self) {
  while (!stopped_) {
    error_code ec;
    if (!acceptor_.is_open()) {
      // Down, or waiting to get the port back: sleep until a toxic change or a retry.
      wake_.expires_after(should_refuse() ? std::chrono::hours(24) : std::chrono::milliseconds(100));
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!stopped_ && !should_refuse() && !acceptor_.is_open()) try_listen();
      continue;
    }
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        // Out of descriptors and the like: back off instead of spinning.
        log::warn("accept failed", {{"proxy", name()}, {"error", ec.message()}});
        wake_.expires_after(std::chrono::milliseconds(50));
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    const std::uint64_t id = ++next_id_;
    auto conn = std::make_shared<Connection>(std::move(socket), link_, id);
    link_->live[id] = conn;
    conn->start(toxics_);
  }
}

bool Proxy::should_refuse() const {
  for (const auto& t : toxics_)
    if (t->refuses_connections() && t->spec().toxicity >= 1.0) return true;
  return false;
}

bool Proxy::try_listen() {
  if (const error_code ec = listen_on(acceptor_, listen_endpoint_)) {
    log::warn("cannot listen again yet", {{"proxy", name()}, {"listen", definition_.listen.str()},
                                          {"error", ec.message()}});
    return false;
  }
  log::info("proxy listening again", {{"proxy", name()}, {"listen", definition_.listen.str()}});
  return true;
}

void Proxy::update_listening() {
  if (stopped_) return;
  if (should_refuse() && acceptor_.is_open()) {
    error_code ignored;
    acceptor_.close(ignored);
    log::info("proxy stopped listening (down)", {{"proxy", name()}});
  } else if (!should_refuse() && !acceptor_.is_open()) {
    try_listen();
  }
  wake_.cancel();
}

bool Proxy::add_toxic(const ToxicSpec& spec) {
  for (const auto& t : toxics_)
    if (t->spec().name == spec.name) return false;
  auto toxic = make_toxic(spec);
  toxics_.push_back(toxic);
  link_->metrics.toxics_active(spec.type).Increment();
  log::info("toxic added", {{"proxy", name()}, {"toxic", spec.to_json()}});
  // Refuse first, so a down toxic never lets a connection in between cut and close.
  update_listening();
  for (auto& c : live_connections()) c->attach(toxic);
  return true;
}

bool Proxy::remove_toxic(const std::string& toxic_name) {
  for (auto it = toxics_.begin(); it != toxics_.end(); ++it) {
    if ((*it)->spec().name != toxic_name) continue;
    const std::shared_ptr<const Toxic> toxic = *it;
    toxics_.erase(it);
    link_->metrics.toxics_active(toxic->spec().type).Decrement();
    for (auto& c : live_connections()) c->detach(toxic.get());
    update_listening();
    log::info("toxic removed", {{"proxy", name()}, {"toxic", toxic_name}});
    return true;
  }
  return false;
}

void Proxy::clear_toxics() {
  while (!toxics_.empty()) remove_toxic(toxics_.back()->spec().name);
}

std::optional<nlohmann::json> Proxy::toxic_json(const std::string& toxic_name) const {
  for (const auto& t : toxics_)
    if (t->spec().name == toxic_name) return t->spec().to_json();
  return std::nullopt;
}

nlohmann::json Proxy::toxics_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : toxics_) out.push_back(t->spec().to_json());
  return out;
}

nlohmann::json Proxy::to_json() const {
  return {{"name", name()},
          {"listen", definition_.listen.str()},
          {"upstream", definition_.upstream.str()},
          {"listening", acceptor_.is_open()},
          {"toxics", toxics_json()},
          {"stats", link_->metrics.stats()}};
}

}  // namespace scalelab::faultproxy
