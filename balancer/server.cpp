// Process lifecycle of the balancer; see server.hpp.
#include "balancer/server.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "balancer/admin_api.hpp"
#include "balancer/dns_discovery.hpp"
#include "balancer/health_checker.hpp"
#include "balancer/socket_io.hpp"
#include "balancer/worker.hpp"
#include "common/exit_codes.hpp"
#include "common/log.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A thousand slow clients each hold a descriptor: take the whole hard limit.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::optional<tcp::endpoint> resolve_now(const net::HostPort& hp, std::string& error) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(hp.host, std::to_string(hp.port), ec);
  if (ec || results.empty()) {
    error = "cannot resolve '" + hp.str() + "': " + (ec ? ec.message() : "no address");
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

HealthPolicy policy_from(const Settings& s) {
  HealthPolicy p;
  p.active_checks = s.health_interval_ms > 0;
  p.rise = s.health_rise;
  p.fall = s.health_fall;
  p.consecutive_5xx = s.eject_consecutive_5xx;
  p.ejection_base = s.ms(s.ejection_time_ms);
  p.ejection_max = s.ms(s.ejection_max_ms);
  return p;
}

class Server {
 public:
  explicit Server(const Settings& s)
      : settings_(s), registry_(policy_from(s), &metrics_), shared_(s, registry_, metrics_) {
    for (int i = 0; i < s.threads; ++i) workers_.push_back(std::make_unique<Worker>(shared_, i));
    auto ex = main().io().get_executor();
    acceptor_.emplace(ex);
    admin_.emplace(ex, shared_);
    health_.emplace(ex, registry_, settings_);
    if (s.dns_target) dns_.emplace(ex, registry_, metrics_, *s.dns_target, s.ms(s.dns_interval_ms));
    reaper_timer_.emplace(ex);
    signals_.emplace(main().io(), SIGTERM, SIGINT);
  }

  int run() {
    for (const auto& spec : settings_.backend_specs) {
      std::string error;
      const auto endpoint = resolve_now(spec.address, error);
      if (!endpoint) config::die("scalelab-balancer", "--backend " + spec.id + ": " + error, config::kExitUsage);
      registry_.add(spec.id, spec.address, *endpoint, Source::static_list, &error);
    }
    try {
      const auto listen = resolve_now(settings_.listen_address, listen_error_);
      const auto admin = resolve_now(settings_.admin_address, listen_error_);
      if (!listen || !admin) config::die("scalelab-balancer", listen_error_, config::kExitUsage);
      acceptor_->open(listen->protocol());
      acceptor_->set_option(tcp::acceptor::reuse_address(true));
      acceptor_->bind(*listen);
      acceptor_->listen(4096);
      admin_->listen(*admin);
    } catch (const boost::system::system_error& e) {
      log::error("cannot bind a listener", {{"error", e.what()}});
      return config::kExitFailure;
    }
    if (!net::is_loopback(settings_.admin_address.host) && settings_.admin_token.empty())
      log::warn("the admin API listens beyond loopback without --admin-token");

    for (auto& w : workers_) {
      guards_.emplace_back(w->io().get_executor());
      w->start();
    }
    admin_->start();
    health_->start();
    if (settings_.activator_address) {
      std::string error;
      const auto supervisor = resolve_now(*settings_.activator_address, error);
      if (!supervisor) config::die("scalelab-balancer", "--activator: " + error, config::kExitUsage);
      shared_.activator.start(main().io().get_executor(), *supervisor);
    }
    if (dns_) dns_->start();
    asio::co_spawn(main().io(), accept_loop(), asio::detached);
    asio::co_spawn(main().io(), reap_loop(), asio::detached);
    asio::co_spawn(main().io(), wait_for_signal(), asio::detached);
    log::info("balancer listening", {{"listen", settings_.listen_address.str()},
                                     {"admin", settings_.admin_address.str()},
                                     {"algorithm", algorithm_name(settings_.algorithm)},
                                     {"threads", settings_.threads},
                                     {"backends", registry_.snapshot()->size()}});

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers_.size(); ++i) threads.emplace_back([w = workers_[i].get()] { w->io().run(); });
    main().io().run();
    for (auto& t : threads) t.join();
    log::info("balancer stopped");
    return config::kExitOk;
  }

 private:
  Worker& main() { return *workers_.front(); }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    while (!shared_.stopping) {
      Worker& target = *workers_[next];
      next = (next + 1) % workers_.size();
      boost::system::error_code ec;
      auto socket = co_await acceptor_->async_accept(target.io(), asio::redirect_error(asio::use_awaitable, ec));
      if (shared_.stopping) break;
      if (ec) {
        // Out of descriptors, typically: back off instead of spinning.
        log::warn("accept failed", {{"error", ec.message()}});
        reaper_pause_.emplace(main().io());
        reaper_pause_->expires_after(std::chrono::milliseconds(50));
        co_await io::wait(*reaper_pause_);
        continue;
      }
      if (shared_.sessions.load(std::memory_order_relaxed) >= settings_.max_client_connections) {
        metrics_.count_rejected_connection();
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      if (&target == &main()) {
        target.spawn_session(std::move(socket));
      } else {
        asio::post(target.io(), [&target, s = std::move(socket)]() mutable { target.spawn_session(std::move(s)); });
      }
    }
  }

  asio::awaitable<void> reap_loop() {
    // Removes drained backends once idle. 50 ms keeps DELETE snappy for the lab.
    while (!shared_.stopping) {
      registry_.reap_drained();
      reaper_timer_->expires_after(std::chrono::milliseconds(50));
      co_await io::wait(*reaper_timer_);
    }
  }

  asio::awaitable<void> wait_for_signal() {
    boost::system::error_code ec;
    auto signo = co_await signals_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    log::info("shutting down: finishing in-flight requests",
              {{"signal", signo}, {"in_flight", shared_.in_flight.load()}});
    shared_.stopping = true;
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    reaper_timer_->cancel();
    health_->stop();
    shared_.activator.stop();
    if (dns_) dns_->stop();
    for (auto& w : workers_) asio::post(w->io(), [w = w.get()] { w->begin_shutdown(); });

    asio::steady_timer tick(main().io());
    const auto deadline = std::chrono::steady_clock::now() + settings_.ms(settings_.shutdown_timeout_ms);
    while (shared_.sessions.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await io::wait(tick);
    }
    if (shared_.sessions.load() > 0) {
      log::warn("shutdown timeout: closing the remaining connections", {{"connections", shared_.sessions.load()}});
      for (auto& w : workers_) asio::post(w->io(), [w = w.get()] { w->force_close_sessions(); });
      for (int i = 0; i < 50 && shared_.sessions.load() > 0; ++i) {
        tick.expires_after(std::chrono::milliseconds(20));
        co_await io::wait(tick);
      }
    }
    admin_->stop();
    signals_->cancel(ignored);
    for (auto& w : workers_) asio::post(w->io(), [w = w.get()] { w->stop_tasks(); });
    guards_.clear();  // each loop's run() returns once its last task ends
  }

  const Settings& settings_;
  Metrics metrics_;
  Registry registry_;
  Shared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<AdminApi> admin_;
  std::optional<HealthChecker> health_;
  std::optional<DnsDiscovery> dns_;
  std::optional<asio::steady_timer> reaper_timer_;
  std::optional<asio::steady_timer> reaper_pause_;
  std::optional<asio::signal_set> signals_;
  std::string listen_error_;
};

}  // namespace

int run(const Settings& settings) {
  ::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  Server server(settings);
  return server.run();
}

}  // namespace scalelab::balancer
