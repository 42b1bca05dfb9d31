// Sessions: login rotates the id and sets an HttpOnly cookie, logout destroys it, and
// /api/me shows which instance created the session and which one answered: the
// clearest view of whether state follows the user across instances.
#include <cctype>

#include "services/app/app.hpp"
#include "store/clock.hpp"

namespace scalelab::app {
namespace {

bool valid_user(const std::string& user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void end_session(App& app, const store::Session& s) {
  const store::Mode m = app.state.mode(store::Concern::sessions);
  app.stores.sessions(m).destroy(s.id);
  app.stores.carts(m).clear(s.id);
}

}  // namespace

void add_session_routes(App& app) {
  app.router.add({"POST", "/api/login", RouteKind::api, true, [&app](Exchange& ex) {
                    const auto body = ex.json_body();
                    const auto user = body.find("user");
                    if (user == body.end() || !user->is_string() || !valid_user(user->get<std::string>()))
                      throw HttpError(400, "bad_user", "\"user\" must be 1 to 64 characters of A-Z a-z 0-9 _ . @ -");
                    if (ex.ctx.session) end_session(app, *ex.ctx.session);  // a login always rotates the id
                    auto& sessions = app.stores.sessions(app.state.mode(store::Concern::sessions));
                    const store::Session s = sessions.create(user->get<std::string>(), app.config.instance_id);
                    ex.res.set_header("Set-Cookie", "sid=" + s.id + "; Path=/; HttpOnly; SameSite=Lax");
                    ex.send_json(200, {{"user", s.user}, {"created_by", s.created_by}});
                  }});

  app.router.add({"POST", "/api/logout", RouteKind::api, false, [&app](Exchange& ex) {
                    const bool had = ex.ctx.session.has_value();
                    if (had) end_session(app, *ex.ctx.session);
                    ex.res.set_header("Set-Cookie", "sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
                    ex.send_json(200, {{"logged_out", had}});
                  }});

  app.router.add({"GET", "/api/me", RouteKind::api, false, [&app](Exchange& ex) {
                    const store::Session& s = require_session(ex);
                    const double age = static_cast<double>(store::unix_ms() - s.created_at_ms) / 1000.0;
                    ex.send_json(200, {{"user", s.user},
                                       {"session_age_seconds", age},
                                       {"requests", s.requests},
                                       {"created_by", s.created_by},
                                       {"served_by", app.config.instance_id}});
                  }});
}

}  // namespace scalelab::app
