// The balancing algorithms; the rules are stated in algorithms.hpp.
#include "balancer/algorithms.hpp"

#include <algorithm>

namespace scalelab::balancer {
namespace {
bool excluded(std::span<Backend* const> exclude, const Backend* b) {
  return std::find(exclude.begin(), exclude.end(), b) != exclude.end();
}
}  // namespace

std::string_view find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

std::string affinity_cookie(std::string_view name, std::string_view id) {
  std::string out(name);
  out += '=';
  out += id;
  out += "; Path=/; HttpOnly; SameSite=Lax";
  return out;
}

template <class Usable>
const std::shared_ptr<Backend>* Picker::rotate(const BackendList& backends, Usable usable) {
  const std::size_t n = backends.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = (cursor_ + i) % n;
    if (usable(backends[at].get())) {
      cursor_ = (at + 1) % n;
      return &backends[at];
    }
  }
  return nullptr;
}

template <class Usable>
const std::shared_ptr<Backend>* Picker::least(const BackendList& backends, Usable usable) {
  const std::size_t n = backends.size();
  const std::shared_ptr<Backend>* best = nullptr;
  int best_load = 0;
  std::size_t best_at = 0;
  // Scanning from the cursor makes ties rotate instead of always landing on the first.
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = (cursor_ + i) % n;
    if (!usable(backends[at].get())) continue;
    const int load = backends[at]->in_flight.load(std::memory_order_relaxed);
    if (best == nullptr || load < best_load) {
      best = &backends[at];
      best_load = load;
      best_at = at;
    }
  }
  if (best != nullptr) cursor_ = (best_at + 1) % n;
  return best;
}

Choice Picker::pick(const BackendList& backends, std::chrono::steady_clock::time_point now,
                    std::span<Backend* const> exclude, std::string_view sticky_id) {
  Choice choice;
  // Panic is judged among the backends this request may still use: a retry whose only
  // eligible backend just failed it goes to an active one that failed its checks
  // (under load, a check times out first) rather than to nowhere.
  const bool any_eligible = std::any_of(backends.begin(), backends.end(),
                                        [&](const auto& b) { return !excluded(exclude, b.get()) && b->eligible(now); });
  choice.panic = !any_eligible;
  auto usable = [&](Backend* b) {
    if (excluded(exclude, b)) return false;
    return any_eligible ? b->eligible(now) : b->active();
  };

  if (algorithm_ == Algorithm::sticky && !sticky_id.empty()) {
    for (const auto& b : backends) {
      if (b->id() != sticky_id) continue;
      if (usable(b.get())) {
        choice.backend = b;
        choice.pinned = true;
        return choice;
      }
      break;
    }
    // Gone, draining, unhealthy, ejected, or already failed on this request.
    choice.affinity_broken = true;
  }

  const auto by_algorithm = [&](auto&& may_take) {
    return algorithm_ == Algorithm::least_conn ? least(backends, may_take) : rotate(backends, may_take);
  };
  const std::shared_ptr<Backend>* chosen = nullptr;
  if (slow_start_.count() > 0) {
    chosen = by_algorithm([&](Backend* b) {
      if (!usable(b)) return false;
      const double warmth = b->warmth(now, slow_start_);
      return warmth >= 1.0 || draw() < warmth;
    });
  }
  if (chosen == nullptr) chosen = by_algorithm(usable);
  if (chosen != nullptr) choice.backend = *chosen;
  return choice;
}

double Picker::draw() {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return static_cast<double>(rng_ >> 11) * 0x1.0p-53;
}

}  // namespace scalelab::balancer
