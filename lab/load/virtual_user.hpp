// A VirtualUser is one simulated client. It has its own keep-alive connection, cookie
// jar, random stream and Classifier (its memory of what the system acknowledged to it).
// It runs scenarios from the mix, one request at a time, until the run stops. send() is
// the single place where a request is paced (open loop), timed, and counted, so
// scenarios only say what to send and what to check.
#pragma once

#include <chrono>
#include <random>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "lab/load/classifier.hpp"
#include "lab/load/connection.hpp"
#include "lab/load/cookie_jar.hpp"
#include "lab/load/worker.hpp"

namespace scalelab::load {

class VirtualUser {
 public:
  using Clock = std::chrono::steady_clock;

  struct Request {
    std::string_view method;
    std::string_view target;  // origin-form, e.g. /api/me
    std::string_view body{};
    std::string_view content_type{};
    std::string_view headers{};  // more header lines, each ending in CRLF
  };

  VirtualUser(Worker& worker, unsigned index);

  // Runs scenarios until the run stops or the request bound is reached.
  boost::asio::awaitable<void> run();

  // Sends one request and returns its outcome (valid until the next send). When the
  // run is over, the response is `aborted` and scenarios should simply return.
  boost::asio::awaitable<const Response*> send(Request request);

  // Runs `f(classifier, tally)` with this worker's counters locked.
  template <class F>
  void judge(F&& f) {
    worker_.record([&](Window& w) { judge_in(w, f); });
  }
  // The same, in a window already locked; keeps the violations `f` added, each with the
  // last request and its answer.
  template <class F>
  void judge_in(Window& w, F& f) {
    const Counters<Violation> before = w.tally.violations;
    classifier_.clear_detail();
    f(classifier_, w.tally);
    if (w.tally.violations != before) keep_violations_shown(w, before);
  }

  bool live() const { return !worker_.stopping() && !worker_.run().request_bound_reached(); }
  const LoadConfig& config() const { return worker_.run().config; }
  const std::string& name() const { return name_; }
  std::mt19937_64& rng() { return rng_; }
  Classifier& classifier() { return classifier_; }
  // What every user of the run acknowledged as sold (the stock audit's ledger).
  StockLedger& sold() { return worker_.run().sold; }
  CookieJar& cookies() { return jar_; }
  // When the last request actually went out (in open loop its intended time may be
  // earlier; freshness checks compare against what really happened first).
  Clock::time_point sent_at() const { return sent_at_; }

  // Waits `d`, or less if the run stops meanwhile.
  boost::asio::awaitable<void> pause(std::chrono::milliseconds d);

  void abort();  // the run stops: end what is pending
  void enforce_deadline(Clock::time_point now) { connection_.enforce_deadline(now); }

 private:
  Scenario pick();
  // Scenario starts are counted here and added to the worker's tally together with
  // the next request, so a request costs one lock, not two.
  void flush_scenarios(Tally& t);
  // Keeps, in `w`, the violations the last judgement added beyond `before`, each with
  // the last request and its answer.
  void keep_violations_shown(Window& w, const Counters<Violation>& before);
  Counters<Scenario> scenarios_started_{};

  Worker& worker_;
  std::string name_;
  std::mt19937_64 rng_;
  Classifier classifier_;
  CookieJar jar_;
  Connection connection_;
  boost::asio::steady_timer timer_;
  Response response_;
  std::string head_;
  Clock::time_point sent_at_{};
  std::string sent_method_, sent_target_;  // of the last request, for the violations kept
  bool rate_limited_ = false;  // the current scenario saw a 429
  bool transport_failed_ = false;
  int retry_after_ = 0;
};

}  // namespace scalelab::load
