// The three balancing algorithms. They hold no sockets and read no clock of their
// own, so rotation order, least-connections ties, stickiness and panic mode are
// unit-tested directly.
//  - round_robin: strict rotation over the eligible backends, in registry order.
//  - least_conn: the eligible backend with the fewest requests in flight; ties rotate.
//  - sticky: the backend named by the affinity cookie while it is eligible; otherwise
//    (no cookie, unknown id, draining, unhealthy, ejected) a round-robin pick, which the
//    caller pins with a new cookie. A cookie that named a backend which can no longer
//    serve is reported as `affinity_broken`.
// Panic mode: when no backend that the request has not tried yet is eligible, every
// active (non-draining) one it has not tried is treated as eligible, so traffic keeps
// flowing to the least-bad option, retries included.
// One Picker per event loop (it keeps the rotation cursor); not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "balancer/registry.hpp"
#include "balancer/settings.hpp"

namespace scalelab::balancer {

struct Choice {
  std::shared_ptr<Backend> backend;  // null: nothing can take the request
  bool panic = false;                // chosen in panic mode
  bool affinity_broken = false;      // the sticky cookie named a backend that cannot serve
  bool pinned = false;               // sticky: the cookie's backend was used as is
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view find_cookie(std::string_view header, std::string_view name);

// The Set-Cookie value that pins a client to backend `id`.
std::string affinity_cookie(std::string_view name, std::string_view id);

class Picker {
 public:
  // `slow_start`: a backend that turned healthy less than this long ago is passed over
  // with probability 1 - its warmth (backend.hpp), so its share ramps up; when every
  // candidate is passed over, the pick is made without it. 0: off.
  explicit Picker(Algorithm algorithm, std::chrono::milliseconds slow_start = std::chrono::milliseconds(0))
      : algorithm_(algorithm), slow_start_(slow_start) {}

  // `exclude`: backends already tried for this request. `sticky_id`: the affinity
  // cookie's value (empty when absent), used only by the sticky algorithm.
  Choice pick(const BackendList& backends, std::chrono::steady_clock::time_point now,
              std::span<Backend* const> exclude = {}, std::string_view sticky_id = {});

 private:
  template <class Usable>
  const std::shared_ptr<Backend>* rotate(const BackendList& backends, Usable usable);
  template <class Usable>
  const std::shared_ptr<Backend>* least(const BackendList& backends, Usable usable);

  // A uniform draw in [0, 1) from a per-picker xorshift (pickers are per event loop).
  double draw();

  Algorithm algorithm_;
  std::chrono::milliseconds slow_start_;
  std::size_t cursor_ = 0;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace scalelab::balancer
