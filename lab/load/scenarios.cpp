// The scenario coroutines of scenarios.hpp. Request bodies are built with nlohmann so
// that every value is escaped, even though user names and skus are plain by design.
#include "lab/load/scenarios.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "lab/load/virtual_user.hpp"

namespace scalelab::load {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::string_view kJson = "application/json";

bool ok(const Response* r, int status = 200) { return r->answered() && r->status == status; }

asio::awaitable<void> login(VirtualUser& vu) {
  const std::string body = json{{"user", vu.name()}}.dump();
  const Response* r = co_await vu.send({"POST", "/api/login", body, kJson});
  vu.judge([&](Classifier& c, Tally&) { c.on_login(*r); });
}

asio::awaitable<bool> ensure_session(VirtualUser& vu) {
  if (!vu.classifier().holds_session()) co_await login(vu);
  co_return vu.classifier().holds_session();
}

asio::awaitable<void> session(VirtualUser& vu) {
  co_await login(vu);
  if (!vu.classifier().holds_session()) co_return;
  const Response* r = co_await vu.send({"GET", "/api/me"});
  vu.judge([&](Classifier& c, Tally& t) { c.check_session(*r, t); });
}

asio::awaitable<void> cart(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  const int additions = 1 + static_cast<int>(vu.rng()() % 3);
  for (int i = 0; i < additions; ++i) {
    const std::string sku = "sku-" + std::to_string(1 + vu.rng()() % 5);
    const int qty = 1 + static_cast<int>(vu.rng()() % 3);
    const std::string body = json{{"sku", sku}, {"qty", qty}}.dump();
    const Response* r = co_await vu.send({"POST", "/api/cart/items", body, kJson});
    vu.judge([&](Classifier& c, Tally& t) { c.on_cart_add(sku, qty, *r, t); });
    if (!ok(r)) co_return;
  }
  const Response* r = co_await vu.send({"GET", "/api/cart"});
  vu.judge([&](Classifier& c, Tally& t) { c.check_cart(*r, t); });
}

asio::awaitable<void> read_upload(VirtualUser& vu, std::string id) {
  const std::string target = "/api/uploads/" + id;
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_upload(id, *r, t); });
}

asio::awaitable<void> upload(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  std::string bytes(vu.config().upload_bytes, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = vu.rng()();
    for (std::size_t k = 0; k < 8 && i + k < bytes.size(); ++k) bytes[i + k] = static_cast<char>(word >> (8 * k));
  }
  const std::string sha = crypto::sha256_hex(bytes);
  const Response* r = co_await vu.send({"POST", "/api/uploads", bytes, "application/octet-stream"});
  std::optional<std::string> id;
  vu.judge([&](Classifier& c, Tally& t) { id = c.on_upload(sha, *r, t); });
  if (!id) co_return;
  co_await read_upload(vu, *id);
  const auto& known = vu.classifier().uploads();
  if (known.size() > 1 && vu.rng()() % 2 == 0 && vu.classifier().holds_session()) {
    co_await read_upload(vu, known[vu.rng()() % (known.size() - 1)].first);
  }
}

asio::awaitable<void> catalog(VirtualUser& vu) {
  // A shopper is logged in; the catalog does not need it, so go on without one.
  co_await ensure_session(vu);
  const int id = 1 + static_cast<int>(vu.rng()() % vu.config().items);
  const std::string target = "/api/items/" + std::to_string(id);
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_item_read(id, *r, vu.sent_at(), t); });
  if (!ok(r)) co_return;
  const double price = static_cast<double>(vu.rng()() % 100000) / 100.0;
  const std::string body = json{{"price", price}}.dump();
  r = co_await vu.send({"PUT", target, body, kJson});
  vu.judge([&](Classifier& c, Tally&) { c.on_item_write(id, *r, Classifier::Clock::now()); });
  if (!ok(r)) co_return;
  r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_item_read(id, *r, vu.sent_at(), t); });
}

asio::awaitable<void> burst(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  const std::int64_t limit = vu.classifier().rate_limit() > 0 ? vu.classifier().rate_limit() : 10;
  const std::int64_t n = std::min<std::int64_t>(limit + vu.config().burst_extra, 1000);
  for (std::int64_t i = 0; i < n; ++i) {
    const Response* r = co_await vu.send({"GET", "/api/me"});
    vu.judge([&](Classifier& c, Tally& t) { c.check_session(*r, t); });
    if (!r->answered() || r->status == 401 || r->status >= 500) co_return;
  }
}

// A client that retries makes at most this many attempts at one checkout.
constexpr int kCheckoutAttempts = 5;
// The checkout scenario's list of the user's orders: the API's largest page.
constexpr std::size_t kOrderListLimit = 200;

bool worth_retrying(const Response* r) {
  return !r->answered() || r->status >= 500 || r->status == 429;
}

asio::awaitable<void> read_order(VirtualUser& vu, std::int64_t id) {
  const std::string target = "/api/orders/" + std::to_string(id);
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_order(id, *r, t); });
}

// POST /api/checkout with `key` until an answer is not worth retrying or the attempts
// run out, pausing as a polite client does: Retry-After when sent, else 100 ms doubling,
// never longer than retry_after_cap. Returns the order if this key's first
// acknowledgement came back (its lines are then added to the run's ledger).
// A `double_click` is judged but not counted among the checkouts' outcomes.
asio::awaitable<std::optional<AckedOrder>> submit_checkout(VirtualUser& vu, const std::string& key,
                                                           bool double_click = false) {
  const std::string header = "Idempotency-Key: " + key + "\r\n";
  std::optional<AckedOrder> acked;
  for (int attempt = 0; attempt < kCheckoutAttempts; ++attempt) {
    const Response* r = co_await vu.send({"POST", "/api/checkout", {}, {}, header});
    if (r->aborted) break;  // the run is over: not an outcome
    const bool retry = worth_retrying(r) && attempt + 1 < kCheckoutAttempts;
    vu.judge([&](Classifier& c, Tally& t) {
      acked = c.on_checkout(key, *r, t);
      if (double_click) return;
      if (attempt > 0) t.add(Checkout::retries);
      if (r->answered() && (r->status == 200 || r->status == 201)) {
        t.add(Checkout::acknowledged);
        if (attempt > 0) t.add(Checkout::recovered);
        if (attempt > 0 && r->status == 200) t.add(Checkout::replayed);
      } else if (r->answered() && r->status == 409) {
        t.add(Checkout::out_of_stock);
      } else if (r->answered() && !worth_retrying(r)) {
        t.add(Checkout::refused);
      } else if (!retry) {
        t.add(Checkout::gave_up);
      }
    });
    if (acked) vu.sold().add(*acked);
    if (!retry) break;
    const std::chrono::milliseconds wait = r->retry_after_seconds > 0
                                               ? std::chrono::milliseconds(r->retry_after_seconds * 1000)
                                               : std::chrono::milliseconds(100 << attempt);
    co_await vu.pause(std::min(wait, vu.config().retry_after_cap));
  }
  co_return acked;
}

asio::awaitable<void> checkout(VirtualUser& vu) {
  co_await login(vu);  // a new session: an empty cart, whatever other scenarios put in it
  if (!vu.classifier().holds_session()) co_return;
  std::vector<unsigned> ids;
  const int lines = 1 + static_cast<int>(vu.rng()() % 3);
  for (int i = 0; i < lines; ++i) {
    const unsigned id = 1 + static_cast<unsigned>(vu.rng()() % vu.config().checkout_items);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    ids.push_back(id);
    const std::string sku = "item-" + std::to_string(id);
    const int qty = 1 + static_cast<int>(vu.rng()() % 2);
    const std::string body = json{{"sku", sku}, {"qty", qty}}.dump();
    const Response* r = co_await vu.send({"POST", "/api/cart/items", body, kJson});
    vu.judge([&](Classifier& c, Tally& t) { c.on_cart_add(sku, qty, *r, t); });
    if (!ok(r)) co_return;
  }

  char key[32];
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(vu.rng()()));
  const std::string idempotency_key = vu.name() + "-" + key;
  const std::optional<AckedOrder> acked = co_await submit_checkout(vu, idempotency_key);
  if (!acked) co_return;
  // A double click: the same key again must replay the same order, never buy twice.
  if (vu.rng()() % 4 == 0) co_await submit_checkout(vu, idempotency_key, true);
  co_await read_order(vu, acked->id);
  const auto& known = vu.classifier().orders();
  if (known.size() > 1 && vu.rng()() % 2 == 0) co_await read_order(vu, known[vu.rng()() % (known.size() - 1)].id);
  if (vu.rng()() % 4 == 0) {
    const std::string target = "/api/orders?limit=" + std::to_string(kOrderListLimit);
    const Response* r = co_await vu.send({"GET", target});
    vu.judge([&](Classifier& c, Tally& t) { c.check_order_list(*r, kOrderListLimit, t); });
  }
}

// The user's orders with their lines, through one data-layer pattern: the statements
// each listing cost (X-DB-Queries) grow with the orders under n_plus_one only.
asio::awaitable<void> orders(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  const std::string target = "/api/orders?include=lines&strategy=" + vu.config().orders_strategy +
                             "&limit=" + std::to_string(vu.config().orders_limit);
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) {
    c.check_order_list(*r, vu.config().orders_limit, t);
    if (r->answered() && r->status == 200 && r->db_queries >= 0) {
      ++t.order_listings;
      t.order_listing_queries += static_cast<std::uint64_t>(r->db_queries);
    }
  });
}

asio::awaitable<void> get(VirtualUser& vu) { co_await vu.send({"GET", vu.config().path}); }

asio::awaitable<void> work(VirtualUser& vu) {
  const std::string target = "/api/work?io_ms=" + std::to_string(vu.config().work_io_ms) +
                             "&cpu_ms=" + std::to_string(vu.config().work_cpu_ms);
  co_await vu.send({"GET", target});
}

}  // namespace

// Not a coroutine: it hands back the scenario's own awaitable, one frame less per run.
asio::awaitable<void> run_scenario(Scenario scenario, VirtualUser& vu) {
  switch (scenario) {
    case Scenario::session:
      return session(vu);
    case Scenario::cart:
      return cart(vu);
    case Scenario::upload:
      return upload(vu);
    case Scenario::catalog:
      return catalog(vu);
    case Scenario::ratelimit:
      return burst(vu);
    case Scenario::work:
      return work(vu);
    case Scenario::checkout:
      return checkout(vu);
    case Scenario::orders:
      return orders(vu);
    case Scenario::get:
    case Scenario::count:
      break;
  }
  return get(vu);
}

}  // namespace scalelab::load
