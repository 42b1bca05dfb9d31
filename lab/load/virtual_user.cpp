// The request path of a virtual user. Everything here runs on its worker's thread.
#include "lab/load/virtual_user.hpp"

#include <algorithm>

#include "lab/load/scenarios.hpp"

namespace scalelab::load {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;

namespace {
// A cold start is recorded up to an hour: a larger header value is not a wait we caused.
constexpr std::int64_t kHourMs = 3'600'000;
}  // namespace

VirtualUser::VirtualUser(Worker& worker, unsigned index)
    : worker_(worker),
      name_(worker.run().user_prefix + std::to_string(index)),
      rng_(worker.run().seed * 0x9E3779B97F4A7C15ull + index),
      classifier_(ClassifierOptions{worker.run().config.stale_grace}),
      connection_(worker.io(), worker.run().endpoint,
                  ConnectionLimits{worker.run().config.connect_timeout, worker.run().config.response_timeout}),
      timer_(worker.io()) {
  head_.reserve(512);
}

void VirtualUser::abort() {
  timer_.cancel();
  connection_.abort();
}

asio::awaitable<void> VirtualUser::pause(std::chrono::milliseconds d) {
  if (d.count() <= 0 || !live()) co_return;
  timer_.expires_after(d);
  boost::system::error_code ignored;
  co_await timer_.async_wait(redirect_error(use_awaitable, ignored));
}

void VirtualUser::flush_scenarios(Tally& t) {
  for (std::size_t i = 0; i < scenarios_started_.size(); ++i) t.scenarios[i] += scenarios_started_[i];
  scenarios_started_ = {};
}

Scenario VirtualUser::pick() {
  const auto& mix = worker_.run().mix;
  if (mix.size() == 1) return mix.front().scenario;  // the benchmark's case: no draw needed
  unsigned total = 0;
  for (const auto& e : mix) total += e.weight;
  unsigned r = static_cast<unsigned>(rng_() % total);
  for (const auto& e : mix) {
    if (r < e.weight) return e.scenario;
    r -= e.weight;
  }
  return mix.back().scenario;
}

asio::awaitable<void> VirtualUser::run() {
  const LoadConfig& cfg = config();
  while (live()) {
    const Scenario s = pick();
    ++scenarios_started_[static_cast<std::size_t>(s)];  // recorded with the next request
    rate_limited_ = transport_failed_ = false;
    co_await run_scenario(s, *this);
    if (cfg.open_loop()) continue;  // the schedule paces open-loop users
    if (rate_limited_) {
      // Honour Retry-After (capped; 10 ms when absent) so a rate-limited user does not
      // spin on 429s.
      const std::chrono::milliseconds wait =
          retry_after_ > 0 ? std::chrono::milliseconds(retry_after_ * 1000) : std::chrono::milliseconds(10);
      co_await pause(std::min(wait, cfg.retry_after_cap));
    } else if (transport_failed_) {
      // A refused target answers in microseconds; back off a little instead of spinning.
      co_await pause(std::max<std::chrono::milliseconds>(cfg.think_time, std::chrono::milliseconds(10)));
    } else {
      co_await pause(cfg.think_time);
    }
  }
  judge([&](Classifier&, Tally& t) { flush_scenarios(t); });
  worker_.user_done();
}

asio::awaitable<const Response*> VirtualUser::send(Request request) {
  RunState& run = worker_.run();
  if (!live() ||
      (run.config.max_requests != 0 && run.issued.fetch_add(1, std::memory_order_relaxed) >= run.config.max_requests)) {
    response_.clear();
    response_.aborted = true;
    co_return &response_;
  }
  Clock::time_point start;
  if (run.config.open_loop()) {
    start = worker_.next_intended();
    if (start > Clock::now()) {
      timer_.expires_at(start);
      boost::system::error_code ignored;
      co_await timer_.async_wait(redirect_error(use_awaitable, ignored));
      if (worker_.stopping()) {
        response_.clear();
        response_.aborted = true;
        co_return &response_;
      }
    }
  } else {
    start = Clock::now();
  }

  head_.assign(request.method);
  head_ += ' ';
  head_ += request.target;
  head_ += run.head_prefix;
  head_ += request.headers;
  if (!jar_.header().empty()) {
    head_ += "Cookie: ";
    head_ += jar_.header();
    head_ += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    if (!request.content_type.empty()) {
      head_ += "Content-Type: ";
      head_ += request.content_type;
      head_ += "\r\n";
    }
    head_ += "Content-Length: ";
    head_ += std::to_string(request.body.size());
    head_ += "\r\n";
  }
  head_ += "\r\n";

  sent_at_ = Clock::now();
  sent_method_.assign(request.method);
  sent_target_.assign(request.target);
  co_await connection_.exchange(head_, request.body, response_);
  if (response_.aborted) co_return &response_;
  const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);

  for (const auto& c : response_.set_cookies) jar_.store(c);
  if (response_.transport != Transport::none) transport_failed_ = true;
  if (response_.status == 429) {
    rate_limited_ = true;
    retry_after_ = response_.retry_after_seconds;
  }
  worker_.record([&](Window& w) {
    flush_scenarios(w.tally);
    auto observe = [&](Classifier& c, Tally& t) { c.observe(response_, t); };
    judge_in(w, observe);
    if (response_.answered()) {
      w.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0)));
      add_instance(w.instances, response_.instance);
      if (response_.cold_start_ms >= 0)
        w.cold_starts.record(static_cast<std::uint64_t>(std::min<std::int64_t>(response_.cold_start_ms, kHourMs)) *
                             1'000'000u);
    }
    if (response_.transport != Transport::none || response_.status >= 500) {
      if (request.method == "GET" || request.method == "HEAD") ++w.tally.failed_reads;
      if (w.failures.size() < kFailuresKept)
        w.failures.push_back(FailedRequest::of(std::chrono::duration<double>(sent_at_ - run.start).count(),
                                               request.method, request.target, response_));
    }
  });
  co_return &response_;
}

void VirtualUser::keep_violations_shown(Window& w, const Counters<Violation>& before) {
  std::vector<FailedRequest> shown;
  for (std::size_t kind = 0; kind < before.size(); ++kind) {
    if (w.tally.violations[kind] == before[kind]) continue;
    FailedRequest v = FailedRequest::of(std::chrono::duration<double>(sent_at_ - worker_.run().start).count(),
                                        sent_method_, sent_target_, response_);
    v.error = violation_name(static_cast<Violation>(kind));
    v.detail = classifier_.detail();
    shown.push_back(std::move(v));
  }
  keep_violations(w.violations, shown);
}

}  // namespace scalelab::load
