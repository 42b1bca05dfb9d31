// Active health checks: the balancer asks each backend whether it is ready, rather
// than learning it only from requests that failed there. Every backend in the registry gets a
// GET <health path> (default /readyz) at the configured interval, on a connection of
// its own (never one from the pool, so a check measures the backend, not our queue),
// with a timeout; 2xx passes, anything else fails. Results feed Backend::on_check,
// which applies rise/fall. A new backend is checked at once, so it joins (or is kept
// out) within one check rather than one interval. Runs on one event loop.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "balancer/registry.hpp"
#include "balancer/settings.hpp"
#include "common/asio.hpp"

namespace scalelab::balancer {

class HealthChecker {
 public:
  HealthChecker(boost::asio::any_io_executor executor, Registry& registry, const Settings& settings);
  void start();
  void stop();

  // One check of `b`: passed, or the reason it failed.
  struct Result {
    bool passed = false;
    std::string detail;
  };
  boost::asio::awaitable<Result> check_once(const Backend& b);

 private:
  boost::asio::awaitable<void> supervise();
  boost::asio::awaitable<void> check_loop(std::shared_ptr<Backend> b);

  boost::asio::any_io_executor executor_;
  Registry& registry_;
  const Settings& settings_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  std::map<const Backend*, std::shared_ptr<boost::asio::steady_timer>> loops_;  // per backend: its interval timer
};

}  // namespace scalelab::balancer
