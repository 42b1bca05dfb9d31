// The scenarios: what each kind of virtual-user visit does and checks, in terms of the
// API of services/app/API.md. A scenario sends requests through its user and hands
// each answer to the user's Classifier; it never counts anything itself.
//
//   session   - log in, then read /api/me (a session read)
//   cart      - 1 to 3 cart additions, then read the cart
//   upload    - upload random bytes, read them back by id (and, half the time, an older
//               upload too) and compare sha256
//   catalog   - read an item, update its price, read it again (stale-read check)
//   ratelimit - send limit + burst_extra session reads back to back
//   work      - GET /api/work?io_ms=&cpu_ms=
//   get       - GET the configured path (a trivial endpoint, for benchmarks)
//   checkout  - log in afresh, put 1 to 3 items in the cart, check out with a new
//               Idempotency-Key (retried with the same key after a transport error, a
//               5xx or a 429, as a real client would), then read the order back (and,
//               at times, an older one, or the whole order list)
//   orders    - GET /api/orders?include=lines&strategy=S&limit=L, checked like the
//               checkout's list; the statements it cost (X-DB-Queries) are summed
//
// Scenarios that need a session log in first when the user holds none. A scenario
// stops at the first answer it cannot build on (an error, a 401, a 429).
#pragma once

#include "common/asio.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

class VirtualUser;

boost::asio::awaitable<void> run_scenario(Scenario scenario, VirtualUser& user);

}  // namespace scalelab::load
