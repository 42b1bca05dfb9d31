// See cold_start.hpp.
#include "services/app/cold_start.hpp"

#include <time.h>

#include <algorithm>

namespace scalelab::app {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// True when a stop signal arrived within `ms` (0: only a pending one).
bool stop_within(const sigset_t& stop_signals, std::int64_t ms) {
  const timespec wait{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  return sigtimedwait(&stop_signals, nullptr, &wait) > 0;
}

}  // namespace

void burn_cpu(std::int64_t ms) {
  const double until = thread_cpu_seconds() + static_cast<double>(ms) / 1000.0;
  volatile std::uint64_t x = 0;
  while (thread_cpu_seconds() < until)
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
}

std::chrono::milliseconds warmup_penalty(std::chrono::milliseconds since_listening, std::chrono::milliseconds warmup,
                                         std::chrono::milliseconds extra) {
  if (warmup.count() <= 0 || since_listening >= warmup || since_listening.count() < 0) return std::chrono::milliseconds(0);
  const double left = 1.0 - static_cast<double>(since_listening.count()) / static_cast<double>(warmup.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(extra.count()) * left));
}

bool simulate_cold_start(std::chrono::milliseconds delay, std::chrono::milliseconds cpu,
                         const sigset_t& stop_signals) {
  if (delay.count() > 0 && stop_within(stop_signals, delay.count())) return false;
  // In slices, so a stop signal is seen within one slice of CPU time.
  for (std::int64_t left = cpu.count(); left > 0; left -= 20) {
    burn_cpu(std::min<std::int64_t>(left, 20));
    if (stop_within(stop_signals, 0)) return false;
  }
  return true;
}

}  // namespace scalelab::app
