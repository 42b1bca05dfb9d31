// Tally is one flat struct for every count the load generator reports (requests, status
// classes, transport errors, violations by kind, checks by kind, scenarios run): worker
// threads fill it, the sampler merges it, and JSON serialises it. The names here are
// the JSON keys documented in lab/load/README.md.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "lab/load/response.hpp"

namespace scalelab::load {

// A deviation from what the system acknowledged to this virtual user.
enum class Violation : std::uint8_t {
  session_lost,         // 401 for a session never logged out
  cart_lost_write,      // an acknowledged cart quantity is missing
  upload_missing,       // 404 for an acknowledged upload
  upload_corrupt,       // bytes (or the acknowledged sha256) differ from what was sent
  stale_read,           // an item version older than one acknowledged, after the grace period
  rate_limit_exceeded,  // one more request allowed in a rate-limit window than the limit
  order_lost,           // an acknowledged order is missing
  double_order,         // two orders for one idempotency key
  oversold,             // at the end: stock below zero, or more sold than there was
  count
};
const char* violation_name(Violation v);

// What a violation rate is computed against. Units:
//  session   - responses (2xx or 401) to a request sent with a session this user holds
//  cart      - acknowledged skus compared with a cart read or a later add
//  upload    - reads of an acknowledged upload (plus the sha256 check of each upload ack)
//  item      - item reads compared against a version this user saw acknowledged
//  ratelimit - allowed responses carrying the X-RateLimit-* headers
//  order     - reads of an acknowledged order, answers to a key this user had
//              acknowledged, and keys compared in an order listing
//  stock     - items audited after the run (stock_audit.hpp)
enum class Check : std::uint8_t { session, cart, upload, item, ratelimit, order, stock, count };
const char* check_name(Check c);
// The check a violation kind is a share of: session_lost per session check, and so on.
Check check_of(Violation v);
// `part` as a percentage of `whole`; 0 when there is no whole.
inline double percent_of(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

enum class Scenario : std::uint8_t { session, cart, upload, catalog, ratelimit, work, get, checkout, orders, count };
const char* scenario_name(Scenario s);
bool parse_scenario(std::string_view name, Scenario& out);

// How the checkout scenario's checkouts ended (one each), and how many retries it took:
//  acknowledged - an order came back (201, or 200 replaying it)
//  out_of_stock - 409: refused, nothing bought
//  refused      - any other 4xx (a lost session, an unknown item, ...)
//  gave_up      - no answer worth keeping after every attempt (transport errors, 5xx)
//  retries      - attempts after the first (a failure, then the same key again)
//  recovered    - acknowledged on a retry: the client never learnt of the first failure
//  replayed     - of those, a 200 replaying an order an earlier attempt had committed
//                 although its answer never arrived (its instance died, say)
enum class Checkout : std::uint8_t { acknowledged, out_of_stock, refused, gave_up, retries, recovered, replayed, count };
const char* checkout_name(Checkout c);

// Status classes. 429 and 503 are also counted inside 4xx and 5xx.
enum class StatusClass : std::uint8_t { s1xx, s2xx, s3xx, s4xx, s5xx, s429, s503, count };
const char* status_class_name(StatusClass c);

template <class E>
using Counters = std::array<std::uint64_t, static_cast<std::size_t>(E::count)>;

struct Tally {
  std::uint64_t requests = 0;   // completed: responses plus transport errors
  std::uint64_t responses = 0;  // requests that got an HTTP response
  Counters<StatusClass> status{};
  Counters<Transport> transport{};  // index 0 (none) stays 0
  Counters<Violation> violations{};
  Counters<Check> checks{};
  Counters<Scenario> scenarios{};  // scenario runs started
  Counters<Checkout> checkouts{};
  // The orders scenario's listings answered 200, and the statements they cost
  // (X-DB-Queries): queries per listing, by data-layer pattern.
  std::uint64_t order_listings = 0, order_listing_queries = 0;
  // Of failed(), those that were GET or HEAD: a balancer may retry them elsewhere, so
  // a lab that loses an instance should lose none of these (writes may fail).
  std::uint64_t failed_reads = 0;

  void add(Violation v, std::uint64_t n = 1) { violations[static_cast<std::size_t>(v)] += n; }
  void add(Check c, std::uint64_t n = 1) { checks[static_cast<std::size_t>(c)] += n; }
  void add(Checkout c, std::uint64_t n = 1) { checkouts[static_cast<std::size_t>(c)] += n; }
  std::uint64_t of(Violation v) const { return violations[static_cast<std::size_t>(v)]; }
  std::uint64_t of(Check c) const { return checks[static_cast<std::size_t>(c)]; }
  std::uint64_t of(StatusClass s) const { return status[static_cast<std::size_t>(s)]; }
  std::uint64_t of(Transport t) const { return transport[static_cast<std::size_t>(t)]; }
  std::uint64_t of(Checkout c) const { return checkouts[static_cast<std::size_t>(c)]; }

  std::uint64_t transport_errors() const;
  // Failed requests: transport errors plus 5xx (a 503 from a store outage is a failure;
  // a 401 or 429 is an answer, judged by the violation counts instead).
  std::uint64_t failed() const { return transport_errors() + of(StatusClass::s5xx); }
  std::uint64_t total_violations() const;

  void merge(const Tally& other);
};

// {"requests", "responses", "errors", "status": {...}, "transport": {...},
//  "violations": {...}, "checks": {...}} - scenarios are written by the caller.
nlohmann::json counts_json(const Tally& t);

}  // namespace scalelab::load
