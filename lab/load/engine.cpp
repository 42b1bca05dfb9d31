// The sampler of engine.hpp: start the workers, collect one Sample per second from
// them, stop them at the end, and assemble the LoadResult.
#include "lab/load/engine.hpp"

#include <algorithm>
#include <memory>
#include <random>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "lab/load/worker.hpp"

namespace scalelab::load {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

Window take_all(std::vector<std::unique_ptr<Worker>>& workers) {
  Window merged;
  for (auto& w : workers) merged.merge(w->take());
  return merged;
}

Sample make_sample(unsigned t, double elapsed, double interval, const Window& w, const LoadConfig& config) {
  Sample s;
  if (config.open_loop() && interval > 0) {
    const RateProfile profile = config.rate_profile();
    s.scheduled_rps = (profile.arrivals_by(elapsed) - profile.arrivals_by(elapsed - interval)) / interval;
  }
  s.t = t;
  s.elapsed_s = elapsed;
  s.interval_s = interval;
  s.counts = w.tally;
  s.latency = LatencySummary::of(w.latency);
  s.cold_starts = LatencySummary::of(w.cold_starts);
  s.instances = w.instances;
  return s;
}

}  // namespace

LoadResult run_load(const LoadConfig& config, const std::function<void(const Sample&)>& on_second,
                    std::stop_token stop, const std::function<void()>& on_start) {
  validate(config);
  RunState run;
  run.config = config;
  run.target = parse_target(config.target);
  run.endpoint = {boost::asio::ip::make_address_v4(run.target.ip), run.target.port};
  run.head_prefix = " HTTP/1.1\r\nHost: " + run.target.host_header() + "\r\nUser-Agent: scalelab-load\r\n";
  run.mix = config.effective_mix();
  // Names unique to this run, so rate-limit counters of earlier runs do not carry over.
  run.user_prefix = config.user_prefix.empty() ? "vu-" + ids::random_token(3) + "-" : config.user_prefix;
  run.seed = config.seed != 0 ? config.seed : std::random_device{}();
  // A mix that checks out is audited for oversold stock: the stock before, then after.
  const bool checks_out = std::any_of(run.mix.begin(), run.mix.end(), [](const MixEntry& e) {
    return e.scenario == Scenario::checkout && e.weight > 0;
  });
  // The stock audit's readings before and after the run take at most a connect and a
  // response timeout each (--connect-timeout, --timeout), as any request of the run.
  const auto stock_budget = config.connect_timeout + config.response_timeout;
  StockSnapshot stock_before;
  if (checks_out) stock_before = read_stock(run.target, config.checkout_items, stock_budget);
  run.start = Clock::now();
  if (on_start) on_start();

  LoadResult result;
  result.config = config;
  result.started_at = log::now_rfc3339();

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 0; t < config.threads; ++t) {
    std::vector<unsigned> users;
    for (unsigned u = t; u < config.users; u += config.threads) users.push_back(u + 1);
    workers.push_back(std::make_unique<Worker>(run, t, std::move(users)));
  }
  for (auto& w : workers) w->start();

  std::stop_callback wake_on_stop(stop, [&run] { run.notify(); });
  const auto deadline = run.start + config.duration;
  auto all_finished = [&] {
    for (auto& w : workers)
      if (!w->finished()) return false;
    return true;
  };

  Window total;
  auto emit = [&](const Window& w, unsigned t, double elapsed, double interval) {
    total.merge(w);
    result.samples.push_back(make_sample(t, elapsed, interval, w, config));
    if (on_second) on_second(result.samples.back());
  };

  unsigned second = 0;
  for (;;) {
    const auto tick = run.start + std::chrono::seconds(second + 1);
    {
      std::unique_lock lock(run.mutex);
      run.wake.wait_until(lock, std::min(tick, deadline), [&] {
        return stop.stop_requested() || all_finished() || Clock::now() >= std::min(tick, deadline);
      });
    }
    if (stop.stop_requested()) {
      result.stop_reason = "stopped";
      break;
    }
    if (all_finished()) {
      result.stop_reason = run.request_bound_reached() ? "max_requests" : "finished";
      break;
    }
    if (Clock::now() >= deadline) {
      result.stop_reason = "duration";
      break;
    }
    if (Clock::now() >= tick) {
      ++second;
      emit(take_all(workers), second, static_cast<double>(second), 1.0);
    }
  }
  for (auto& w : workers) w->request_stop();
  for (auto& w : workers) w->join();
  const double elapsed = seconds(Clock::now() - run.start);
  const double interval = elapsed - static_cast<double>(second);
  // The last, partial second: kept unless it is an empty sliver after a tick. The stock
  // audit's checks and violations belong to it (the whole run is what they judge).
  Window last = take_all(workers);
  std::vector<ItemAudit> audit;
  if (checks_out)
    audit = audit_stock(stock_before, read_stock(run.target, config.checkout_items, stock_budget),
                        run.sold.sold(), last.tally);
  if (last.tally.requests > 0 || interval >= 0.5 || !audit.empty()) emit(last, second + 1, elapsed, interval);
  result.stock = stock_json(audit);
  result.duration_s = elapsed;
  result.totals = total.tally;
  result.latency = LatencySummary::of(total.latency);
  result.cold_starts = LatencySummary::of(total.cold_starts);
  result.instances = total.instances;
  result.failures = std::move(total.failures);
  result.violations = std::move(total.violations);
  for (auto* kept : {&result.failures, &result.violations})
    std::stable_sort(kept->begin(), kept->end(), [](const FailedRequest& a, const FailedRequest& b) { return a.t_s < b.t_s; });
  result.target_answered = total.tally.responses > 0;
  return result;
}

}  // namespace scalelab::load
