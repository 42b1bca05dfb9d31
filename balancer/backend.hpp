// A Backend is one upstream server as every event loop sees it. It holds its identity
// (id, address, where it came from), its administrative state (active or draining),
// its health (the HealthState machine behind a mutex, mirrored into atomics so the
// per-request eligibility test takes no lock) and its live counters, which the admin
// API and /metrics read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "balancer/balancer_metrics.hpp"
#include "balancer/health_state.hpp"
#include "common/asio.hpp"
#include "common/net.hpp"

namespace scalelab::balancer {

enum class Source { static_list, dns, admin };
const char* source_name(Source s);

// active: takes new requests when eligible. draining: takes none; in-flight ones
// finish. A draining backend marked for removal leaves the registry once idle.
enum class AdminState { active, draining };

struct HealthSnapshot {
  CheckState check_state;
  bool ejected;
  std::int64_t ejected_for_ms;  // remaining, 0 when not ejected
  std::uint64_t ejections;
  int consecutive_failures;
  int consecutive_5xx;
};

class Backend {
 public:
  using Clock = std::chrono::steady_clock;

  Backend(std::string id, net::HostPort address, boost::asio::ip::tcp::endpoint endpoint, Source source,
          HealthPolicy policy, std::shared_ptr<BackendMetrics> metrics);

  const std::string& id() const { return id_; }
  const net::HostPort& address() const { return address_; }
  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  Source source() const { return source_; }

  AdminState state() const { return state_.load(std::memory_order_relaxed); }
  void set_state(AdminState s) { state_.store(s, std::memory_order_relaxed); }
  bool remove_when_drained() const { return remove_when_drained_.load(std::memory_order_relaxed); }
  void mark_for_removal() { remove_when_drained_.store(true, std::memory_order_relaxed); }

  // Eligible for new requests: active, healthy by the active checks, not ejected.
  bool eligible(Clock::time_point now) const;
  // Slow start: the share of its normal traffic the backend takes at `now`, rising
  // linearly from kSlowStartFloor when it turned healthy to 1 after `ramp` (1 when
  // ramp is 0). A new instance with cold caches is not handed a full share at once.
  double warmth(Clock::time_point now, std::chrono::milliseconds ramp) const;
  static constexpr double kSlowStartFloor = 0.1;
  // Panic mode falls back to every active backend, healthy or not.
  bool active() const { return state() == AdminState::active; }
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

  // Health events (any thread). Transitions are logged and counted here.
  void on_check(bool passed, const std::string& detail);
  void on_connect_failure(Clock::time_point now);
  void on_gateway_failure(Clock::time_point now);
  void on_status(unsigned status, Clock::time_point now);
  HealthSnapshot health_snapshot(Clock::time_point now) const;

  BackendMetrics* metrics() const { return metrics_.get(); }

  // Live counters: requests in flight, answered (any status), failed (no response, or
  // 5xx), and the upstream pool's state summed over threads.
  std::atomic<int> in_flight{0};
  std::atomic<std::uint64_t> requests_total{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<int> open_connections{0};
  std::atomic<int> idle_connections{0};
  std::atomic<int> queue_depth{0};

 private:
  void publish_locked();
  void log_ejection(const char* reason);

  const std::string id_;
  const net::HostPort address_;
  const boost::asio::ip::tcp::endpoint endpoint_;
  const Source source_;
  const std::shared_ptr<BackendMetrics> metrics_;
  std::atomic<AdminState> state_{AdminState::active};
  std::atomic<bool> remove_when_drained_{false};

  mutable std::mutex mu_;
  HealthState health_;
  // Mirrors of health_ for lock-free reads on the request path.
  std::atomic<bool> healthy_{false};
  std::atomic<std::int64_t> healthy_since_ns_{0};  // when healthy_ last turned true
  std::atomic<std::int64_t> ejected_until_ns_{0};
  std::atomic<bool> may_have_5xx_streak_{false};
};

}  // namespace scalelab::balancer
