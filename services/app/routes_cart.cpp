// The cart: state written by the user, tied to the session. A write is acknowledged
// only after the store has it.
#include <cctype>

#include "services/app/app.hpp"

namespace scalelab::app {
namespace {

bool valid_sku(const std::string& sku) {
  if (sku.empty() || sku.size() > 64) return false;
  for (char c : sku)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

}  // namespace

void add_cart_routes(App& app) {
  app.router.add({"POST", "/api/cart/items", RouteKind::api, true, [&app](Exchange& ex) {
                    const store::Session& s = require_session(ex);
                    const auto body = ex.json_body();
                    const auto sku = body.find("sku");
                    const auto qty = body.find("qty");
                    if (sku == body.end() || !sku->is_string() || !valid_sku(sku->get<std::string>()))
                      throw HttpError(400, "bad_sku", "\"sku\" must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
                    if (qty == body.end() || !qty->is_number_integer() || qty->get<std::int64_t>() < 1 ||
                        qty->get<std::int64_t>() > 1000)
                      throw HttpError(400, "bad_qty", "\"qty\" must be an integer from 1 to 1000");
                    auto& carts = app.stores.carts(app.state.mode(store::Concern::sessions));
                    const std::int64_t total = carts.add(s.id, sku->get<std::string>(), qty->get<std::int64_t>());
                    ex.send_json(200, {{"sku", sku->get<std::string>()}, {"qty", total}});
                  }});

  app.router.add({"GET", "/api/cart", RouteKind::api, false, [&app](Exchange& ex) {
                    const store::Session& s = require_session(ex);
                    auto& carts = app.stores.carts(app.state.mode(store::Concern::sessions));
                    nlohmann::json items = nlohmann::json::array();
                    std::int64_t total = 0;
                    for (const auto& line : carts.items(s.id)) {
                      items.push_back({{"sku", line.sku}, {"qty", line.qty}});
                      total += line.qty;
                    }
                    ex.send_json(200, {{"items", items}, {"total_qty", total}});
                  }});
}

}  // namespace scalelab::app
