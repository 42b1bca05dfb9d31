#include "services/app/app.hpp"

namespace scalelab::app {

App::App(AppConfig cfg)
    : config(std::move(cfg)),
      registry(std::make_shared<prometheus::Registry>()),
      store_metrics(registry),
      state(config.state),
      stores(config, store_metrics, registry) {
  add_session_routes(*this);
  add_cart_routes(*this);
  add_catalog_routes(*this);
  add_upload_routes(*this);
  add_work_routes(*this);
  add_order_routes(*this);
  add_ops_routes(*this);
  metrics = std::make_unique<AppMetrics>(*registry, config.instance_id, router.labels());
  metrics->state(state);
}

const store::Session& require_session(const Exchange& ex) {
  if (ex.ctx.session) return *ex.ctx.session;
  if (ex.ctx.session_state == SessionState::missing)
    throw HttpError(401, "session_not_found", "no store knows this session (expired, logged out, or held by another instance)");
  throw HttpError(401, "not_logged_in", "log in first: POST /api/login");
}

std::optional<std::string> read_cache(App& app, const Exchange& ex, store::Mode mode, const std::string& key) {
  if (mode == store::Mode::shared)
    for (const auto& [k, value] : ex.ctx.prefetched)
      if (k == key) return value;
  return app.stores.cache(mode).get(key);
}

}  // namespace scalelab::app
