#include "services/app/app_server.hpp"

#include <thread>

#include "common/admin_guard_httplib.hpp"
#include "common/ids.hpp"
#include "common/json_error.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "common/request_id.hpp"
#include "common/waits.hpp"
#include "services/app/cold_start.hpp"
#include "store/errors.hpp"

namespace scalelab::app {
namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// An incoming X-Request-Id is kept when the shared rule accepts it; else a new one.
std::string request_id_for(const httplib::Request& req) {
  std::string id = req.get_header_value("X-Request-Id");
  return is_acceptable_request_id(id) ? id : ids::unique_token(12);
}

const char* error_code_for(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 416: return "range_not_satisfiable";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal_error" : "client_error";
  }
}

// Reads and drops a body the route did not read (it answered first: 401, 404...). A
// client still sending would see a reset instead of the answer if the socket closed
// on unread bytes, so up to kReadPastLimit is read on, as for a body over its limit;
// a longer one is cut off, and the connection closes after the answer. cpp-httplib's
// reader sets the status to 400 whenever the read stops early, which would replace the
// route's own answer: the status is put back.
void discard_body(Exchange& ex, const httplib::ContentReader* reader) {
  if (reader == nullptr) return;
  const int status = ex.res.status;
  std::uint64_t seen = 0;
  const bool complete = (*reader)([&](const char*, std::size_t n) {
    seen += n;
    return seen <= kReadPastLimit;
  });
  ex.res.status = status;
  if (!complete) ex.ctx.keep_alive = false;
}

// The gate in front of a listener's cpp-httplib: the app's header limit; a refusal is
// counted, logged, and carries the headers every answer carries. (The gated server
// binds without SO_REUSEPORT, so a second instance cannot share either address.)
GatedServer::Config gate_config(App& app, Listener listener) {
  GatedServer::Config gate;
  gate.limits.max_header_bytes = app.config.max_header_bytes;
  gate.on_refused = [&app, listener](const http_gate::Refusal& refusal, httplib::Headers& headers) {
    const std::string id = ids::unique_token(12);
    app.metrics->http_rejected(refusal.reason);
    log::access({{"request_id", id},
                 {"status", refusal.answer.status},
                 {"error", refusal.answer.error},
                 {"reason", refusal.reason},
                 {"state", app.state.header_value()},
                 {"listener", listener == Listener::admin ? "admin" : "service"}});
    headers = {{"X-Instance", app.config.instance_id},
               {"X-Request-Id", id},
               {"X-Scalelab-State", app.state.header_value()}};
  };
  return gate;
}

}  // namespace

AppServer::AppServer(App& app)
    : app_(app), server_(gate_config(app, Listener::service)), admin_(gate_config(app, Listener::admin)) {
  configure(server_, Listener::service);
  const auto& c = app.config;
  prometheus::Gauge* busy = &app.metrics->connection_threads();
  const ModelSettings settings{c.model, static_cast<std::size_t>(c.workers), static_cast<std::size_t>(c.max_threads),
                               static_cast<std::size_t>(c.loops)};
  server_.new_task_queue = [settings, busy] { return make_task_queue(settings, busy); };
  app.metrics->model(to_string(c.model));
  // The admin API serves a few probes and toggles: a small pool of its own, whatever
  // the model, so it answers even while every service worker is busy.
  configure(admin_, Listener::admin);
  admin_.new_task_queue = [] { return new httplib::ThreadPool(4); };
}

void AppServer::configure(GatedServer& server, Listener listener) {
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(app_.config.keepalive_timeout_s);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_payload_max_length(app_.config.max_upload_bytes);

  auto plain = [this, listener](const httplib::Request& req, httplib::Response& res) {
    dispatch(listener, req, res, nullptr);
  };
  auto with_body = [this, listener](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) { dispatch(listener, req, res, &reader); };
  server.Get(".*", plain);  // and HEAD
  server.Options(".*", plain);
  server.Post(".*", plain);
  server.Put(".*", plain);
  server.Patch(".*", plain);
  server.Delete(".*", plain);
  server.Post(".*", with_body);
  server.Put(".*", with_body);
  server.Patch(".*", with_body);
  server.Delete(".*", with_body);

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    begin(req);
    // The app answers Range itself (range_policy.hpp). cpp-httplib would otherwise
    // slice every body by the ranges it parsed, errors included, and set 206 and a
    // multipart length of its own (which underflows). It hands handlers a const view
    // of a Request that is its own non-const local in process_request, so casting the
    // const away to clear them is defined; this is the one place that does.
    const_cast<httplib::Request&>(req).ranges.clear();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) { finish_headers(req, res); });
  server.set_logger([this, listener](const httplib::Request& req, const httplib::Response& res) {
    log_request(listener, req, res);
  });
  // cpp-httplib calls this for every status >= 400; it fills in a JSON body where
  // cpp-httplib itself answered (a malformed request, a bad Range, a body too large).
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && !res.has_header("Content-Type")) {  // not a (streamed) answer of ours
      res.set_content(error_body(error_code_for(res.status), "HTTP " + std::to_string(res.status)), "application/json");
    }
    return httplib::Server::HandlerResponse::Unhandled;  // never re-slice a body by Range
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(error_body("internal_error", "unexpected failure"), "application/json");
  });
}

AppServer::~AppServer() { stop(); }

void AppServer::bind() {
  // The admin address first: once the service port accepts, both are bound.
  // Without SO_REUSEPORT, an address another process listens on fails here (exit 1).
  if (const auto& admin = app_.config.admin_listen; admin && !admin_.bind(admin->host, admin->port))
    throw std::runtime_error("cannot listen on the admin address " + admin->str() + ": " + std::strerror(errno));
  const auto& listen = app_.config.listen;
  if (!server_.bind(listen.host, listen.port))
    throw std::runtime_error("cannot listen on " + listen.str() + ": " + std::strerror(errno));
  port_ = listen.port;
}

void AppServer::start() {
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  if (app_.config.admin_listen) admin_thread_ = std::thread([this] { admin_.listen_after_bind(); });
  while (!server_.is_running() || (app_.config.admin_listen && !admin_.is_running()))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void AppServer::stop() {
  for (auto [server, thread] : {std::pair{&server_, &thread_}, std::pair{&admin_, &admin_thread_}}) {
    if (!thread->joinable()) continue;
    server->stop();
    thread->join();
  }
}

bool AppServer::wait_idle(Clock::time_point deadline) {
  auto quiet_since = Clock::now();
  while (Clock::now() < deadline) {
    if (in_flight_.load() > 0) quiet_since = Clock::now();
    if (Clock::now() - quiet_since >= std::chrono::milliseconds(50)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return in_flight_.load() == 0;
}

bool AppServer::drain(std::chrono::milliseconds grace, std::chrono::milliseconds timeout) {
  app_.draining = true;
  app_.metrics->draining(true);
  std::this_thread::sleep_for(grace);
  const auto deadline = Clock::now() + timeout;
  const bool finished = wait_idle(deadline);
  server_.stop();  // no new connections; the pool's idle keep-alive threads are not waited for
  admin_.stop();
  return wait_idle(std::max(deadline, Clock::now() + std::chrono::milliseconds(100))) && finished;
}

RequestContext& AppServer::context_for(const httplib::Request& req) {
  RequestContext& ctx = current_context();
  if (ctx.owner != &req) {  // cpp-httplib answered without routing (400, 414, 416)
    ctx = RequestContext{};
    ctx.owner = &req;
    ctx.start = Clock::now();
    ctx.request_id = request_id_for(req);
  }
  return ctx;
}

void AppServer::begin(const httplib::Request& req) {
  RequestContext& ctx = current_context();
  ctx = RequestContext{};
  ctx.owner = &req;
  ctx.start = Clock::now();
  ctx.request_id = request_id_for(req);
  ctx.counted = true;
  ++in_flight_;
  app_.metrics->in_flight().Increment();
}

void AppServer::guard_admin(const httplib::Request& req, httplib::Response& res, RouteKind kind) {
  const auto& address = *app_.config.admin_listen;
  const admin::Policy policy{app_.config.admin_token, address.port, net::is_loopback(address.host)};
  const auto denial = admin::check(policy, req, kind == RouteKind::admin ? admin::Route::admin : admin::Route::probe);
  if (!denial) return;
  if (denial->status == 401) res.set_header("WWW-Authenticate", "Bearer");
  throw HttpError(denial->status, denial->error, denial->detail);
}

void AppServer::dispatch(Listener listener, const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader* reader) {
  RequestContext& ctx = context_for(req);
  const Router::Match match = app_.router.match(req.method, req.path, listener);
  ctx.route_time = seconds_since(ctx.start);
  store::DbQueryCounter::reset();  // the handler runs on this thread: X-DB-Queries counts it

  // Tracks whether the handler read the body, so an unread one is dealt with.
  bool body_read = false;
  std::optional<httplib::ContentReader> tracked;
  if (reader != nullptr)
    tracked.emplace(
        [&](httplib::ContentReceiver r) {
          body_read = true;
          return (*reader)(std::move(r));
        },
        [&](httplib::MultipartContentHeader h, httplib::ContentReceiver r) {
          body_read = true;
          return (*reader)(std::move(h), std::move(r));
        });

  Exchange ex{req, res, ctx, nullptr, match.param};
  const double parse_before = ctx.parse, serialize_before = ctx.serialize;
  Clock::time_point handler_start{};
  try {
    // On the admin listener the guard speaks first, for unknown paths too (as probes:
    // a 404 tells nothing), so a foreign Host learns nothing at all.
    if (listener == Listener::admin)
      guard_admin(req, res, match.index < 0 ? RouteKind::ops : app_.router.routes()[static_cast<std::size_t>(match.index)].kind);
    if (match.index < 0) {
      if (!match.allow.empty()) {
        res.set_header("Allow", match.allow);
        throw HttpError(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
      }
      throw HttpError(404, "not_found", "no route for " + req.method + " " + req.path);
    }
    const Route& route = app_.router.routes()[static_cast<std::size_t>(match.index)];
    ctx.route = match.index;
    ctx.route_label = route.pattern;
    if (route.takes_body && tracked) ex.reader = &*tracked;
    if (route.kind == RouteKind::api) {
      StageTimer timer(ctx.middleware);
      run_middleware(ex, route);
    }
    if (route.kind == RouteKind::api && app_.config.warmup.count() > 0) {
      const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - app_.started_at);
      const auto penalty = warmup_penalty(since, app_.config.warmup, app_.config.warmup_extra);
      if (penalty.count() > 0) waits::sleep_for(penalty);
    }
    handler_start = Clock::now();
    route.handler(ex);
  } catch (...) {
    if (handler_start == Clock::time_point{}) handler_start = Clock::now();
    answer_error(ex, std::current_exception());
  }
  ctx.handler = std::max(0.0, seconds_since(handler_start) - (ctx.parse - parse_before) - (ctx.serialize - serialize_before));
  if (tracked && !body_read) {
    Exchange drain{req, res, ctx, nullptr, {}};
    discard_body(drain, reader);
  }
}

void AppServer::run_middleware(Exchange& ex, const Route& route) {
  RequestContext& ctx = ex.ctx;
  const auto sid = ex.cookie("sid");
  if (!sid || sid->empty()) {
    ctx.session_state = SessionState::none;
    app_.metrics->session_lookup("no_cookie");
    return;
  }
  store::Admitted admitted;
  // A forged or garbage id never reaches a store.
  if (ids::is_token(*sid)) {
    const std::vector<std::string> keys = route.cache_reads ? route.cache_reads(ex) : std::vector<std::string>{};
    admitted = app_.stores.admit(*sid, {"user:", app_.config.rate_limit, app_.config.rate_window}, app_.state, keys);
    for (std::size_t i = 0; i < admitted.cached.size(); ++i) ctx.prefetched.emplace_back(keys[i], std::move(admitted.cached[i]));
  }
  ctx.session_state = admitted.session ? SessionState::found : SessionState::missing;
  ctx.session = std::move(admitted.session);
  app_.metrics->session_lookup(ctx.session ? "found" : "missing");
  if (!ctx.session || !admitted.rate) return;
  const store::RateDecision& decision = *admitted.rate;
  app_.metrics->rate_limit(decision.allowed);
  ex.res.set_header("X-RateLimit-Limit", std::to_string(decision.limit));
  ex.res.set_header("X-RateLimit-Remaining", std::to_string(decision.remaining));
  ex.res.set_header("X-RateLimit-Window", std::to_string(decision.window));
  if (!decision.allowed) {
    ex.res.set_header("Retry-After", std::to_string(decision.retry_after_s));
    throw HttpError(429, "rate_limited",
                    "more than " + std::to_string(decision.limit) + " requests in " +
                        std::to_string(app_.config.rate_window.count()) + " s for user " + ctx.session->user);
  }
}

void AppServer::answer_error(Exchange& ex, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const HttpError& e) {
    ex.send_error(e.status(), e.code(), e.what());
  } catch (const store::DbUnavailable& e) {
    // Which bound was hit, in the code: db_pool_exhausted (this instance's pool),
    // db_too_many_connections (the server's budget), db_timeout, db_unavailable.
    app_.metrics->store_error(e.backend());
    ex.res.set_header("Retry-After", "1");
    ex.send_error(503, "db_" + std::string(store::to_string(e.db_cause())), e.what());
  } catch (const store::StoreUnavailable& e) {
    app_.metrics->store_error(e.backend());
    ex.res.set_header("Retry-After", "1");
    ex.send_error(503, "store_unavailable", e.what());
  } catch (const store::TruncatedBody& e) {
    ex.ctx.keep_alive = false;
    ex.send_error(400, "truncated_body", e.what());
  } catch (const store::StoreError& e) {
    app_.metrics->store_error(e.backend());
    ex.send_error(502, "store_error", e.what());
  } catch (const std::invalid_argument& e) {
    ex.send_error(400, "bad_request", e.what());
  } catch (const std::exception& e) {
    log::error("unexpected failure", {{"request_id", ex.ctx.request_id}, {"cause", e.what()}});
    ex.send_error(500, "internal_error", "unexpected failure; see the instance log");
  }
}

void AppServer::finish_headers(const httplib::Request& req, httplib::Response& res) {
  RequestContext& ctx = context_for(req);
  res.set_header("X-Instance", app_.config.instance_id);
  res.set_header("X-Request-Id", ctx.request_id);
  res.set_header("X-Scalelab-State", app_.state.header_value());
  res.set_header("Server-Timing", ctx.server_timing());
  res.set_header("X-DB-Queries", std::to_string(store::DbQueryCounter::count()));
  // While draining, every answer asks the client (the balancer) to drop the connection,
  // so no keep-alive connection is left to be cut when the listener closes.
  if (!ctx.keep_alive || app_.draining.load()) {
    res.set_header("Connection", "close");
    res.headers.erase("Keep-Alive");
  }
}

void AppServer::log_request(Listener listener, const httplib::Request& req, const httplib::Response& res) {
  RequestContext& ctx = context_for(req);
  const double seconds = seconds_since(ctx.start);
  app_.metrics->request(ctx.route, req.method, res.status, seconds);
  if (ctx.counted) {
    --in_flight_;
    app_.metrics->in_flight().Decrement();
  }
  const std::string length = res.get_header_value("Content-Length");
  const std::uint64_t bytes = length.empty() ? res.body.size() : std::strtoull(length.c_str(), nullptr, 10);
  log::access_line([&](log::JsonLine& line) {
    line.field("request_id", ctx.request_id)
        .field("method", req.method)
        .field("route", ctx.route_label)
        .field("path", req.path)
        .field("status", res.status)
        .millis("duration_ms", seconds * 1e3)
        .field("bytes", bytes)
        .field("state", app_.state.header_value())
        .field("listener", listener == Listener::admin ? "admin" : "service")
        .field("remote", req.remote_addr);
  });
  ctx.owner = nullptr;  // done: a later unrouted request on this thread starts afresh
}

}  // namespace scalelab::app
