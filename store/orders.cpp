// Checkout and the order queries in SQL; the contract is in orders.hpp.
#include "store/orders.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace scalelab::store {
namespace {

constexpr const char* kCheckViolation = "23514";  // stock would go below zero

// created_at as JSON shows it.
constexpr const char* kCreated = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

std::string canonical_cart(const std::vector<CheckoutLine>& sorted) {
  std::string s;
  for (const auto& l : sorted) s += (s.empty() ? "" : ",") + std::to_string(l.item_id) + "x" + std::to_string(l.quantity);
  return s;
}

// A Postgres array literal of integers: {1,2,3}.
template <class Range, class Get>
std::string array_of(const Range& range, Get get) {
  std::string s = "{";
  for (const auto& x : range) s += (s.size() > 1 ? "," : "") + get(x);
  return s + "}";
}

// Columns 0..3 of an orders row: id, idempotency_key, total, created_at.
Order order_at(const Rows& rows, int r, const std::string& user) {
  Order o;
  o.id = rows.integer(r, 0);
  o.user = user;
  o.idempotency_key = rows.text(r, 1);
  o.total = rows.number(r, 2);
  o.created_at = rows.text(r, 3);
  return o;
}

std::string order_columns() { return std::string("id, idempotency_key, total, ") + kCreated + " AS created_at"; }

std::vector<OrderLine> lines_of(DbSession& db, std::int64_t order_id) {
  const Rows rows = db.exec("SELECT item_id, quantity, price FROM order_lines WHERE order_id = $1 ORDER BY item_id",
                            {std::to_string(order_id)});
  std::vector<OrderLine> lines;
  for (int r = 0; r < rows.size(); ++r) lines.push_back({rows.integer(r, 0), rows.integer(r, 1), rows.number(r, 2)});
  return lines;
}

}  // namespace

nlohmann::json to_json(const Order& order, bool with_lines) {
  nlohmann::json j{{"id", order.id},
                   {"idempotency_key", order.idempotency_key},
                   {"total", order.total},
                   {"created_at", order.created_at}};
  if (with_lines) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& l : order.lines)
      lines.push_back({{"item_id", l.item_id}, {"quantity", l.quantity}, {"price", l.price}});
    j["lines"] = std::move(lines);
  }
  return j;
}

LinesStrategy parse_lines_strategy(const std::string& text) {
  if (text == "n_plus_one") return LinesStrategy::n_plus_one;
  if (text == "join") return LinesStrategy::join;
  if (text == "batched") return LinesStrategy::batched;
  throw std::invalid_argument("strategy must be n_plus_one, join or batched (got '" + text + "')");
}

Orders::Orders(StoreMetrics& metrics)
    : checkout_(metrics.op("postgres", "checkout")),
      list_(metrics.op("postgres", "orders_list")),
      get_(metrics.op("postgres", "orders_get")) {}

std::optional<Order> Orders::find_by_key(DbSession& db, const std::string& user, const std::string& key,
                                         std::string* cart) {
  const Rows rows = db.exec("SELECT " + order_columns() + ", cart FROM orders WHERE user_name = $1 AND idempotency_key = $2",
                            {user, key});
  if (rows.empty()) return std::nullopt;
  Order o = order_at(rows, 0, user);
  *cart = rows.text(0, 4);
  o.lines = lines_of(db, o.id);
  return o;
}

CheckoutResult Orders::checkout(DbSession& db, const std::string& user, const std::string& key,
                                std::vector<CheckoutLine> lines) {
  OpTimer t(checkout_);
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.item_id < b.item_id; });
  const std::string cart = canonical_cart(lines);

  // A key that made an order before makes no other: the same cart (or an empty one, the
  // retry of a checkout whose cart was cleared) gets that order back.
  auto replay = [&](Order existing, const std::string& first_cart) {
    if (!lines.empty() && first_cart != cart)
      throw CheckoutRefused(CheckoutRefused::Reason::key_reused, 0,
                            "idempotency key '" + key + "' made order " + std::to_string(existing.id) +
                                " for another cart; use a new key for a new checkout");
    return CheckoutResult{std::move(existing), true, {}};
  };

  DbSession::Transaction tx(db);
  std::string first_cart;
  if (auto existing = find_by_key(db, user, key, &first_cart)) {
    tx.commit();
    t.ok();
    return replay(std::move(*existing), first_cart);
  }
  if (lines.empty()) throw std::invalid_argument("the cart is empty: nothing to check out");

  // A concurrent attempt with the same key makes this insert wait for its commit, and
  // then insert nothing: that attempt's order is the one.
  const Rows inserted = db.exec(
      "INSERT INTO orders (user_name, idempotency_key, cart, total) VALUES ($1, $2, $3, 0) "
      "ON CONFLICT (user_name, idempotency_key) DO NOTHING RETURNING id",
      {user, key, cart});
  if (inserted.empty()) {
    auto existing = find_by_key(db, user, key, &first_cart);
    if (!existing) throw DbUnavailable(DbCause::unavailable, "the order of key '" + key + "' vanished");
    tx.commit();
    t.ok();
    return replay(std::move(*existing), first_cart);
  }
  const std::int64_t order_id = inserted.integer(0, 0);
  std::vector<std::pair<std::int64_t, std::int64_t>> versions;

  // In item order, so two checkouts lock the same items in the same order and never
  // deadlock; CHECK (stock >= 0) refuses an oversell inside the transaction.
  for (const auto& line : lines) {
    try {
      const Rows updated =
          db.exec("UPDATE items SET stock = stock - $2, version = version + 1 WHERE id = $1 RETURNING version",
                  {std::to_string(line.item_id), std::to_string(line.quantity)});
      if (updated.empty())
        throw CheckoutRefused(CheckoutRefused::Reason::unknown_item, line.item_id,
                              "item " + std::to_string(line.item_id) + " is not in the catalog");
      versions.emplace_back(line.item_id, updated.integer(0, 0));
    } catch (const DbQueryError& e) {
      if (e.sqlstate() != kCheckViolation) throw;
      throw CheckoutRefused(CheckoutRefused::Reason::out_of_stock, line.item_id,
                            "item " + std::to_string(line.item_id) + " has fewer than " +
                                std::to_string(line.quantity) + " in stock");
    }
  }
  const Rows added = db.exec(
      "INSERT INTO order_lines (order_id, item_id, quantity, price) "
      "SELECT $1, l.item_id, l.quantity, i.price FROM unnest($2::bigint[], $3::bigint[]) AS l (item_id, quantity) "
      "JOIN items i ON i.id = l.item_id RETURNING item_id, quantity, price",
      {std::to_string(order_id), array_of(lines, [](const CheckoutLine& l) { return std::to_string(l.item_id); }),
       array_of(lines, [](const CheckoutLine& l) { return std::to_string(l.quantity); })});
  const Rows done = db.exec(
      "UPDATE orders SET total = (SELECT sum(quantity * price) FROM order_lines WHERE order_id = $1) WHERE id = $1 "
      "RETURNING " + order_columns(),
      {std::to_string(order_id)});
  tx.commit();
  Order order = order_at(done, 0, user);
  for (int r = 0; r < added.size(); ++r)
    order.lines.push_back({added.integer(r, 0), added.integer(r, 1), added.number(r, 2)});
  std::sort(order.lines.begin(), order.lines.end(), [](const auto& a, const auto& b) { return a.item_id < b.item_id; });
  t.ok();
  return CheckoutResult{std::move(order), false, std::move(versions)};
}

std::vector<Order> Orders::list(DbSession& db, const std::string& user, int limit, bool with_lines,
                                LinesStrategy strategy) {
  OpTimer t(list_);
  std::vector<Order> orders;
  const std::string newest =
      "SELECT " + order_columns() + " FROM orders WHERE user_name = $1 ORDER BY id DESC LIMIT $2";
  const std::vector<std::optional<std::string>> params{user, std::to_string(limit)};

  if (with_lines && strategy == LinesStrategy::join) {
    // One statement: each order's row repeated once per line (or once, with NULLs, for
    // an order without lines), folded back into orders here.
    const Rows rows = db.exec(
        "SELECT o.id, o.idempotency_key, o.total, o.created_at, l.item_id, l.quantity, l.price "
        "FROM (" + newest + ") AS o LEFT JOIN order_lines l ON l.order_id = o.id ORDER BY o.id DESC, l.item_id",
        params);
    for (int r = 0; r < rows.size(); ++r) {
      if (orders.empty() || orders.back().id != rows.integer(r, 0)) orders.push_back(order_at(rows, r, user));
      if (rows.cell(r, 4)) orders.back().lines.push_back({rows.integer(r, 4), rows.integer(r, 5), rows.number(r, 6)});
    }
    t.ok();
    return orders;
  }

  const Rows rows = db.exec(newest, params);
  for (int r = 0; r < rows.size(); ++r) orders.push_back(order_at(rows, r, user));
  if (!with_lines || orders.empty()) {
    t.ok();
    return orders;
  }
  if (strategy == LinesStrategy::n_plus_one) {
    // What `order.lines` does in a lazy-loading ORM: one more query per order.
    for (auto& o : orders) o.lines = lines_of(db, o.id);
  } else {
    // What a batch preload does (`includes`, `selectinload`): every order's lines at once.
    const Rows lines = db.exec(
        "SELECT order_id, item_id, quantity, price FROM order_lines WHERE order_id = ANY($1::bigint[]) "
        "ORDER BY order_id, item_id",
        {array_of(orders, [](const Order& o) { return std::to_string(o.id); })});
    std::map<std::int64_t, Order*> by_id;
    for (auto& o : orders) by_id[o.id] = &o;
    for (int r = 0; r < lines.size(); ++r)
      by_id.at(lines.integer(r, 0))->lines.push_back({lines.integer(r, 1), lines.integer(r, 2), lines.number(r, 3)});
  }
  t.ok();
  return orders;
}

std::optional<Order> Orders::get(DbSession& db, const std::string& user, std::int64_t id) {
  OpTimer t(get_);
  const Rows rows = db.exec("SELECT " + order_columns() + " FROM orders WHERE id = $1 AND user_name = $2",
                            {std::to_string(id), user});
  if (rows.empty()) return t.found(std::optional<Order>());
  Order o = order_at(rows, 0, user);
  o.lines = lines_of(db, o.id);
  return t.found(std::optional<Order>(std::move(o)));
}

}  // namespace scalelab::store
