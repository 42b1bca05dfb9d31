// Orders: the writes that must never be lost, doubled or oversold, in PostgreSQL
// (store/migrations/002_orders.sql). Checkout turns a cart into an order in one
// transaction: the order, its lines and the stock decrements commit together or not at
// all. An idempotency key, unique per user, makes a client's retry return the order its
// first attempt made, even when that attempt's instance died after the commit.
//
// Reading orders with their lines is also the data-layer lesson: the same JSON through
// three access patterns (LinesStrategy), each written the way its style of data layer
// would write it, with the statements each sends counted by the DbSession.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/database.hpp"
#include "store/store_metrics.hpp"

namespace scalelab::store {

struct OrderLine {
  std::int64_t item_id = 0;
  std::int64_t quantity = 0;
  double price = 0;  // the item's price when it was ordered
};

struct Order {
  std::int64_t id = 0;
  std::string user;
  std::string idempotency_key;
  double total = 0;
  std::string created_at;  // ISO 8601, UTC
  std::vector<OrderLine> lines;
};

nlohmann::json to_json(const Order& order, bool with_lines);

// What checkout is asked to buy: item ids and quantities, each item once.
struct CheckoutLine {
  std::int64_t item_id = 0;
  std::int64_t quantity = 0;
};

struct CheckoutResult {
  Order order;
  bool replayed = false;  // the key had made this order before: nothing new was written
  // The bought items' new versions (not on a replay): their cached copies are stale.
  std::vector<std::pair<std::int64_t, std::int64_t>> item_versions;
};

// A checkout the data refuses: nothing was written. `code` names the reason for the
// answer; `item_id` the item it is about, when there is one.
class CheckoutRefused : public std::runtime_error {
 public:
  enum class Reason { out_of_stock, unknown_item, key_reused };
  CheckoutRefused(Reason reason, std::int64_t item_id, const std::string& detail)
      : std::runtime_error(detail), reason_(reason), item_id_(item_id) {}
  Reason reason() const { return reason_; }
  std::int64_t item_id() const { return item_id_; }

 private:
  Reason reason_;
  std::int64_t item_id_;
};

// How the lines of a list of orders are read.
enum class LinesStrategy {
  n_plus_one,  // one query for the orders, then one per order: a lazy-loading ORM's default
  join,        // one query joining orders and lines: hand-written SQL, or an eager join
  batched,     // two queries, the lines of every order in one IN (...): an ORM's batch preload
};
// "n_plus_one", "join" or "batched". Throws std::invalid_argument otherwise.
LinesStrategy parse_lines_strategy(const std::string& text);

class Orders {
 public:
  explicit Orders(StoreMetrics& metrics);

  // Checks out `lines` (non-empty, item ids distinct) for `user` under `key`. With a key
  // that already made an order: that order, replayed, when `lines` is the same cart or
  // empty (a retry after the cart was cleared); CheckoutRefused(key_reused) for another
  // cart. Throws CheckoutRefused, DbUnavailable or DbQueryError; nothing is written then.
  CheckoutResult checkout(DbSession& db, const std::string& user, const std::string& key,
                          std::vector<CheckoutLine> lines);

  // The user's newest orders, at most `limit`, newest first; lines read as `strategy`
  // says when `with_lines`.
  std::vector<Order> list(DbSession& db, const std::string& user, int limit, bool with_lines, LinesStrategy strategy);
  // One of the user's orders with its lines; nullopt if it is not theirs or not there.
  std::optional<Order> get(DbSession& db, const std::string& user, std::int64_t id);

 private:
  std::optional<Order> find_by_key(DbSession& db, const std::string& user, const std::string& key,
                                   std::string* cart);
  OpMetrics checkout_, list_, get_;
};

}  // namespace scalelab::store
