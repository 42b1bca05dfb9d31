#include "lab/faultproxy/server.hpp"

#include <csignal>

#include "common/log.hpp"

namespace scalelab::faultproxy {

Server::Server(const ServerOptions& options) : options_(options) {
  validate(options_);
  for (const auto& def : options_.proxies) proxies_[def.name] = std::make_shared<Proxy>(io_, def, families_);
  api_ = std::make_unique<ApiServer>(io_, options_.api, handler_);
}

Server::~Server() {
  if (!stopped_) {
    // Never ran, or the caller forgot stop(): close everything and let the coroutines end.
    shutdown();
    io_.restart();
    io_.run_for(std::chrono::seconds(2));
  }
}

void Server::handle_signals() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("signal received, stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
    shutdown();
  });
}

void Server::run() {
  for (auto& [name, proxy] : proxies_) proxy->start();
  api_->start();
  log::info("fault proxy ready", {{"api", options_.api.str()}, {"proxies", proxies_.size()}});
  io_.run();
  log::info("fault proxy stopped");
}

void Server::stop() {
  asio::post(io_, [this] { shutdown(); });
}

void Server::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  for (auto& [name, proxy] : proxies_) proxy->stop();
  api_->stop();
}

}  // namespace scalelab::faultproxy
