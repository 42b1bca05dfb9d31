// The Classifier decides whether what came back was right: it is the heart of the load
// generator's correctness checks, and pure, so it can be tested with scripted
// responses. One Classifier per virtual user remembers what the system acknowledged to
// that user (its session, cart quantities, uploads and their sha256, item versions it
// wrote, requests allowed per rate-limit window) and turns every later response into
// counts: status class or transport error, checks performed by kind, and violations by
// kind. It does no I/O and reads no clock: the caller passes the times.
//
// Contract for callers: call observe() exactly once for every request outcome (also
// transport errors), then at most one of the route-specific methods below for the same
// response. Aborted responses (the run stopped) are ignored everywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lab/load/response.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

struct ClassifierOptions {
  // A read older than an acknowledged version counts as stale only when it was sent at
  // least this long after the acknowledgement (room for eventual consistency).
  std::chrono::milliseconds stale_grace{0};
  std::size_t uploads_remembered = 64;  // the oldest acknowledged uploads are forgotten
  std::size_t orders_remembered = 256;  // likewise acknowledged orders
};

// An order the system acknowledged to this user (201, or 200 replaying it).
struct AckedOrder {
  std::int64_t id = 0;
  std::string key;                                         // its Idempotency-Key
  std::vector<std::pair<std::int64_t, std::int64_t>> lines;  // item id, quantity
};

class Classifier {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Classifier(ClassifierOptions options = {}) : options_(options) {}

  // Every outcome: counts the request, its status class or transport error, and the
  // rate-limit window accounting (rate_limit_exceeded when one more response than
  // X-RateLimit-Limit was allowed in one X-RateLimit-Window).
  void observe(const Response& r, Tally& t);

  // POST /api/login: a 200 means this user now holds a new session with an empty cart.
  // Anything else leaves the old session unknown (a login destroys it before answering,
  // and an instance killed in between never answers), so the user holds none: a later
  // 401 is no evidence of a lost session.
  void on_login(const Response& r);
  // POST /api/logout: a 200 means the session is gone on purpose; later 401s are
  // expected. Without a 200 it may be gone as well, so likewise the user holds none.
  void on_logout(const Response& r);
  bool holds_session() const { return session_; }

  // Any request that needs the session (GET /api/me, the burst, ...): a 401 while this
  // user holds a session is session_lost, after which it holds none (and no cart).
  void check_session(const Response& r, Tally& t);

  // POST /api/cart/items {sku, qty}: the answered total must include every quantity
  // acknowledged before for that sku; it becomes the new acknowledged total.
  void on_cart_add(std::string_view sku, int qty, const Response& r, Tally& t);
  // GET /api/cart: every acknowledged sku must be there with at least its total.
  void check_cart(const Response& r, Tally& t);

  // POST /api/uploads of bytes whose sha256 is `sent_sha256`: on 201 the upload is
  // remembered and its id returned; an acknowledged sha256 that differs is upload_corrupt.
  std::optional<std::string> on_upload(std::string_view sent_sha256, const Response& r, Tally& t);
  // GET /api/uploads/{id} of an acknowledged upload: 404 is upload_missing, bytes whose
  // sha256 differs are upload_corrupt.
  void check_upload(std::string_view id, const Response& r, Tally& t);
  // The acknowledged uploads, oldest first (for reading an older one back).
  const std::deque<std::pair<std::string, std::string>>& uploads() const { return uploads_; }

  // PUT /api/items/{id}: a 200 acknowledges its version at `acked_at`.
  void on_item_write(int id, const Response& r, Clock::time_point acked_at);
  // GET /api/items/{id} sent at `sent_at`: stale_read when the version is below one
  // acknowledged to this user at least stale_grace before.
  void check_item_read(int id, const Response& r, Clock::time_point sent_at, Tally& t);

  // POST /api/checkout with Idempotency-Key `key`: a 201 or a 200 acknowledges an
  // order. An answer naming another order than the one this key already got, or a
  // second 201 (created) for it, is double_order. Returns the order when this answer
  // is the key's first acknowledgement (its lines are then sold), else nullopt.
  std::optional<AckedOrder> on_checkout(std::string_view key, const Response& r, Tally& t);
  // GET /api/orders/{id} of an acknowledged order: 404 is order_lost; an order under
  // another key than the one acknowledged is double_order's twin, a mixed-up order:
  // counted as order_lost (the acknowledged one is not what came back).
  void check_order(std::int64_t id, const Response& r, Tally& t);
  // GET /api/orders?limit=`limit` (newest first): a key listed twice is double_order
  // (once per extra order); an acknowledged order that should be in the list (all of
  // them when fewer than `limit` came back, else those newer than the oldest listed)
  // and is not, is order_lost.
  void check_order_list(const Response& r, std::size_t limit, Tally& t);
  // The acknowledged orders, oldest first.
  const std::deque<AckedOrder>& orders() const { return orders_; }

  // The last X-RateLimit-Limit seen, 0 before any (sizes the burst scenario).
  std::int64_t rate_limit() const { return limit_; }

  // What the last violation added contradicted, in a few words ("" when it says
  // nothing more than its name); clear_detail() before each judgement.
  const std::string& detail() const { return detail_; }
  void clear_detail() { detail_.clear(); }

 private:
  struct Ack {
    std::int64_t version;
    Clock::time_point at;
  };

  void lose_session();

  ClassifierOptions options_;
  bool session_ = false;
  std::map<std::string, std::int64_t, std::less<>> cart_;    // sku -> acknowledged total
  std::deque<std::pair<std::string, std::string>> uploads_;  // id -> sha256 sent
  std::map<int, std::vector<Ack>> item_acks_;                // pending and settled acks
  std::deque<AckedOrder> orders_;
  std::int64_t window_ = -1;                                 // current rate-limit window
  std::int64_t allowed_in_window_ = 0;
  std::int64_t limit_ = 0;
  std::string detail_;
};

}  // namespace scalelab::load
