// Time as the stores see it: wall-clock milliseconds for records people read
// (created_at), and a steady clock for expiry so a clock step never resurrects or
// kills state.
#pragma once

#include <chrono>
#include <cstdint>

namespace scalelab::store {

inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using SteadyTime = std::chrono::steady_clock::time_point;
inline SteadyTime steady_now() { return std::chrono::steady_clock::now(); }

}  // namespace scalelab::store
