// The state toggle, per concern, flippable at run time. Each request reads the mode of
// a concern once and uses that backend to the end; both backends live as long as the
// process, so a flip never pulls a store out from under an in-flight request.
#pragma once

#include <array>
#include <optional>
#include <atomic>
#include <string>

#include <nlohmann/json.hpp>

#include "store/state_mode.hpp"

namespace scalelab::app {

class StateToggle {
 public:
  explicit StateToggle(const store::Mode (&initial)[4]);

  store::Mode mode(store::Concern c) const { return modes_[index(c)].load(std::memory_order_relaxed); }
  void set(store::Concern c, store::Mode m) { modes_[index(c)].store(m, std::memory_order_relaxed); }

  // {"sessions": "shared", "cache": "local", ...}
  nlohmann::json to_json() const;
  // "shared" or "local" when every concern agrees, else "sessions=local,cache=shared,...".
  std::string header_value() const;

  // Applies {"mode": "local"} (every concern) and/or {"sessions": "local", ...}.
  // Returns an empty string on success, else what is wrong (nothing is changed then).
  std::string apply(const nlohmann::json& update);

 private:
  static std::size_t index(store::Concern c) { return static_cast<std::size_t>(c); }
  std::array<std::atomic<store::Mode>, 4> modes_;
};

}  // namespace scalelab::app
