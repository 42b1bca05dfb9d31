// The toggle at the heart of the lab: each concern keeps its state either outside the
// process (shared: Redis, S3) or inside it (local: memory, local disk). Shared is what
// lets any instance serve any request; local is the classic mistake made visible.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::store {

enum class Mode { shared, local };
enum class Concern { sessions, cache, uploads, ratelimit };

inline constexpr std::array<Concern, 4> kConcerns = {Concern::sessions, Concern::cache, Concern::uploads,
                                                     Concern::ratelimit};

constexpr std::string_view to_string(Mode m) { return m == Mode::shared ? "shared" : "local"; }
constexpr std::string_view to_string(Concern c) {
  switch (c) {
    case Concern::sessions: return "sessions";
    case Concern::cache: return "cache";
    case Concern::uploads: return "uploads";
    case Concern::ratelimit: return "ratelimit";
  }
  return "sessions";
}

inline std::optional<Mode> parse_mode(std::string_view s) {
  if (s == "shared") return Mode::shared;
  if (s == "local") return Mode::local;
  return std::nullopt;
}

inline std::optional<Concern> parse_concern(std::string_view s) {
  for (Concern c : kConcerns)
    if (to_string(c) == s) return c;
  return std::nullopt;
}

}  // namespace scalelab::store
