// The catalog behind a cache-aside cache. Reads try the cache, then the slow database,
// and fill the cache; writes go to the database, bump the version, and invalidate.
// With a local cache the invalidation reaches only this instance: the others keep
// serving the old version until their entry expires (a stale read, by version).
#include <cmath>

#include "common/text.hpp"
#include "services/app/app.hpp"

namespace scalelab::app {
namespace {

// `Cache-Control: no-cache` (RFC 9111 §5.2.1.4) asks for the source of truth: the
// catalog is read, never the cache (a checker auditing stock must not trust a copy a
// killed instance left stale). The answer still refreshes the cache.
bool bypasses_cache(const Exchange& ex) {
  for (std::size_t i = 0, n = ex.req.get_header_value_count("Cache-Control"); i < n; ++i)
    if (text::has_list_token(ex.req.get_header_value("Cache-Control", i), "no-cache")) return true;
  return false;
}

std::optional<std::int64_t> parse_item_id(const Exchange& ex) {
  auto id = parse_int(ex.param);
  return id && *id >= 1 ? id : std::nullopt;
}

std::int64_t item_id(const Exchange& ex) {
  auto id = parse_item_id(ex);
  if (!id) throw HttpError(400, "bad_item_id", "item ids are positive integers");
  return *id;
}

// What GET /api/items/{id} reads first, fetched by the admission with the session.
std::vector<std::string> item_cache_reads(const Exchange& ex) {
  auto id = parse_item_id(ex);
  return id && !bypasses_cache(ex) ? std::vector<std::string>{item_cache_key(*id)} : std::vector<std::string>{};
}

}  // namespace

std::string item_cache_key(std::int64_t id) { return "item:" + std::to_string(id); }

void add_catalog_routes(App& app) {
  app.router.add({"GET", "/api/items/{id}", RouteKind::api, false, [&app](Exchange& ex) {
                    const std::int64_t id = item_id(ex);
                    const store::Mode mode = app.state.mode(store::Concern::cache);
                    auto& cache = app.stores.cache(mode);
                    const bool bypass = bypasses_cache(ex);
                    if (auto cached = bypass ? std::nullopt : read_cache(app, ex, mode, item_cache_key(id))) {
                      auto item = nlohmann::json::parse(*cached, nullptr, false);
                      if (item.is_object()) {
                        app.metrics->cache("hit");
                        item["cache"] = "hit";
                        ex.send_json(200, item);
                        return;
                      }
                    }
                    app.metrics->cache(bypass ? "bypass" : "miss");
                    auto item = app.stores.catalog().get(id);
                    if (!item) throw HttpError(404, "item_not_found", "no item " + std::to_string(id));
                    nlohmann::json body = store::to_json(*item);
                    cache.put(item_cache_key(id), body.dump(), item->version, app.config.cache_ttl);
                    body["cache"] = bypass ? "bypass" : "miss";
                    ex.send_json(200, body);
                  },
                  item_cache_reads});

  app.router.add({"PUT", "/api/items/{id}", RouteKind::api, true, [&app](Exchange& ex) {
                    const std::int64_t id = item_id(ex);
                    const auto body = ex.json_body();
                    const auto price = body.find("price");
                    if (price == body.end() || !price->is_number() || !std::isfinite(price->get<double>()) ||
                        price->get<double>() < 0 || price->get<double>() > 1e9)
                      throw HttpError(400, "bad_price", "\"price\" must be a number from 0 to 1e9");
                    auto item = app.stores.catalog().set_price(id, price->get<double>());
                    if (!item) throw HttpError(404, "item_not_found", "no item " + std::to_string(id));
                    app.stores.cache(app.state.mode(store::Concern::cache))
                        .invalidate(item_cache_key(id), item->version, app.config.cache_ttl);
                    app.metrics->cache("invalidate");
                    nlohmann::json out = store::to_json(*item);
                    out["cache"] = "invalidated";
                    ex.send_json(200, out);
                  }});
}

}  // namespace scalelab::app
