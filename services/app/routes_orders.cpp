// Checkout and orders: the data that lives in the database of record (store/orders.hpp).
// A checkout turns the session's cart into an order once per Idempotency-Key, clears
// the cart only after the commit, and tells the cache that the bought items changed.
// Every response says how many statements it cost (X-DB-Queries, app_server.cpp).
#include <cctype>

#include "services/app/app.hpp"

namespace scalelab::app {
namespace {

constexpr std::size_t kMaxCheckoutLines = 100;  // a cart with more distinct items is refused
constexpr int kMaxOrdersListed = 200;

store::Database& require_database(App& app) {
  if (store::Database* db = app.stores.database()) return *db;
  throw HttpError(503, "no_database",
                  "this instance has no database (SCALELAB_DATABASE_URL): orders need one");
}

// Idempotency-Key: 1 to 128 characters of A-Z a-z 0-9 _ - : . (a UUID fits).
std::string idempotency_key(const Exchange& ex) {
  if (!ex.req.has_header("Idempotency-Key"))
    throw HttpError(400, "idempotency_key_required",
                    "checkout needs an Idempotency-Key header: the same key on a retry returns the same order");
  // Two keys are two answers to "which checkout is this": a proxy in front may have
  // read the other one. Refuse rather than pick.
  if (ex.req.get_header_value_count("Idempotency-Key") > 1)
    throw HttpError(400, "bad_idempotency_key", "send exactly one Idempotency-Key header");
  const std::string key = ex.req.get_header_value("Idempotency-Key");
  bool ok = !key.empty() && key.size() <= 128;
  for (char c : key)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' || c == '.');
  if (!ok) throw HttpError(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ - : .");
  return key;
}

// The cart as checkout lines: a sku names catalog item N as "item-N".
std::vector<store::CheckoutLine> checkout_lines(const std::vector<store::CartLine>& cart) {
  if (cart.size() > kMaxCheckoutLines)
    throw HttpError(413, "cart_too_large",
                    "a checkout takes at most " + std::to_string(kMaxCheckoutLines) + " distinct items (the cart has " +
                        std::to_string(cart.size()) + ")");
  std::vector<store::CheckoutLine> lines;
  for (const auto& line : cart) {
    const auto id = line.sku.rfind("item-", 0) == 0 ? parse_int(std::string_view(line.sku).substr(5)) : std::nullopt;
    if (!id || *id < 1)
      throw HttpError(422, "unknown_item", "sku '" + line.sku + "' is not a catalog item: checkout buys skus item-<id>");
    lines.push_back({*id, line.qty});
  }
  return lines;
}

void send_refusal(Exchange& ex, const store::CheckoutRefused& e) {
  using Reason = store::CheckoutRefused::Reason;
  const int status = e.reason() == Reason::out_of_stock ? 409 : 422;
  const char* code = e.reason() == Reason::out_of_stock   ? "out_of_stock"
                     : e.reason() == Reason::unknown_item ? "unknown_item"
                                                          : "idempotency_key_reused";
  nlohmann::json body{{"error", code}, {"detail", e.what()}};
  if (e.item_id() > 0) body["item"] = e.item_id();
  ex.send_json(status, body);
}

void checkout(App& app, Exchange& ex) {
  const store::Session& s = require_session(ex);
  const std::string key = idempotency_key(ex);
  store::Database& db = require_database(app);
  auto& carts = app.stores.carts(app.state.mode(store::Concern::sessions));
  const std::vector<store::CheckoutLine> lines = checkout_lines(carts.items(s.id));

  store::CheckoutResult result;
  try {
    auto session = db.session();
    result = app.stores.orders().checkout(session, s.user, key, lines);
  } catch (const store::CheckoutRefused& e) {
    send_refusal(ex, e);
    return;
  } catch (const std::invalid_argument& e) {
    throw HttpError(400, "cart_empty", "the cart is empty: add items first (POST /api/cart/items)");
  }
  // After the commit only: a checkout that failed leaves the cart as it was. A replay
  // clears it too, for a first attempt that died between its commit and this line.
  carts.clear(s.id);
  auto& cache = app.stores.cache(app.state.mode(store::Concern::cache));
  for (const auto& [item, version] : result.item_versions) {
    cache.invalidate(item_cache_key(item), version, app.config.cache_ttl);
    app.metrics->cache("invalidate");
  }
  if (result.replayed) ex.res.set_header("Idempotent-Replayed", "true");
  ex.send_json(result.replayed ? 200 : 201, {{"order", store::to_json(result.order, true)}, {"replayed", result.replayed}});
}

void list_orders(App& app, Exchange& ex) {
  const store::Session& s = require_session(ex);
  store::Database& db = require_database(app);
  const std::string include = ex.req.get_param_value("include");
  if (!include.empty() && include != "lines") throw HttpError(400, "bad_include", "include must be 'lines' or absent");
  store::LinesStrategy strategy = store::LinesStrategy::join;
  if (ex.req.has_param("strategy")) {
    try {
      strategy = store::parse_lines_strategy(ex.req.get_param_value("strategy"));
    } catch (const std::invalid_argument& e) {
      throw HttpError(400, "bad_strategy", e.what());
    }
  }
  int limit = 50;
  if (ex.req.has_param("limit")) {
    const auto n = parse_int(ex.req.get_param_value("limit"));
    if (!n || *n < 1 || *n > kMaxOrdersListed)
      throw HttpError(400, "bad_limit", "limit must be an integer from 1 to " + std::to_string(kMaxOrdersListed));
    limit = static_cast<int>(*n);
  }
  auto session = db.session();
  nlohmann::json orders = nlohmann::json::array();
  for (const auto& o : app.stores.orders().list(session, s.user, limit, include == "lines", strategy))
    orders.push_back(store::to_json(o, include == "lines"));
  ex.send_json(200, {{"orders", orders}});
}

void get_order(App& app, Exchange& ex) {
  const store::Session& s = require_session(ex);
  const auto id = parse_int(ex.param);
  if (!id || *id < 1) throw HttpError(400, "bad_order_id", "order ids are positive integers");
  store::Database& db = require_database(app);
  auto session = db.session();
  auto order = app.stores.orders().get(session, s.user, *id);
  // Another user's order is as absent as one that does not exist: its id tells nothing.
  if (!order) throw HttpError(404, "order_not_found", "no order " + std::to_string(*id) + " of yours");
  ex.send_json(200, {{"order", store::to_json(*order, true)}});
}

}  // namespace

void add_order_routes(App& app) {
  app.router.add({"POST", "/api/checkout", RouteKind::api, false, [&app](Exchange& ex) { checkout(app, ex); }});
  app.router.add({"GET", "/api/orders", RouteKind::api, false, [&app](Exchange& ex) { list_orders(app, ex); }});
  app.router.add({"GET", "/api/orders/{id}", RouteKind::api, false, [&app](Exchange& ex) { get_order(app, ex); }});
}

}  // namespace scalelab::app
