#include "lab/supervisor/control_api.hpp"

#include <fstream>

#include "common/admin_guard_httplib.hpp"
#include "common/json_error.hpp"
#include "common/process.hpp"
#include "lab/supervisor/spawn_specs.hpp"

namespace scalelab::lab {
namespace {

void send(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& code, const std::string& detail) {
  res.status = status;
  res.set_content(error_body(code, detail), "application/json");
}

nlohmann::json body_of(const httplib::Request& req) {
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw HttpError(400, "bad_json", "the body must be a JSON object");
  return j;
}

// Runs `f`, answering its JSON (with `ok`) or its error.
template <class F>
void answer(httplib::Response& res, int ok, F f) {
  try {
    send(res, ok, f());
  } catch (const HttpError& e) {
    fail(res, e.status(), e.code(), e.what());
  } catch (const std::exception& e) {
    fail(res, 500, "internal_error", e.what());
  }
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

}  // namespace

ControlApi::ControlApi(Supervisor& supervisor) : supervisor_(supervisor) {
  server_.new_task_queue = [] { return new httplib::ThreadPool(8); };
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_timeout(2);
  server_.set_payload_max_length(64 * 1024);
  // The API changes the lab (kill, fault, down) and shows its logs, on loopback, where
  // any web page open in a local browser can reach it: common/admin_guard.hpp's rules
  // apply to every route, the console's included (lab/README.md, "Who may use it").
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header(std::string(kLabIdHeader), supervisor_.config().id);  // every answer, refusals too
    const auto route = req.path == "/healthz" ? admin::Route::probe : admin::Route::admin;
    return admin::refuse(admin::Policy{"", port_, true}, req, route, res) ? httplib::Server::HandlerResponse::Handled
                                                                        : httplib::Server::HandlerResponse::Unhandled;
  });
  server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && !res.has_header("Content-Type"))
      res.set_content(error_body(res.status == 404 ? "not_found" : "bad_request", "HTTP " + std::to_string(res.status)),
                      "application/json");
    return httplib::Server::HandlerResponse::Unhandled;
  }));
  routes();
}

ControlApi::~ControlApi() { stop(); }

void ControlApi::start(std::uint16_t port) {
  port_ = port;
  if (!server_.bind("127.0.0.1", port))
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + " (in use?)");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void ControlApi::stop() {
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
}

void ControlApi::routes() {
  Supervisor& s = supervisor_;
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send(res, 200, {{"status", "ok"}}); });

  server_.Get("/status", [&s](const httplib::Request&, httplib::Response& res) {
    answer(res, 200, [&] { return s.call([](Supervisor& sup) { return sup.status(); }); });
  });

  server_.Get("/events", [&s](const httplib::Request& req, httplib::Response& res) {
    answer(res, 200, [&] {
      std::uint64_t since = 0;
      if (req.has_param("since")) {
        try {
          since = std::stoull(req.get_param_value("since"));
        } catch (const std::exception&) {
          throw HttpError(400, "bad_parameter", "since must be an event sequence number");
        }
      }
      return s.events().since(since);
    });
  });

  server_.Post(R"(/components/([^/]+)/(kill|pause|resume|restart))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1], action = req.matches[2];
    answer(res, 200, [&] {
      const auto body = body_of(req);
      if (action == "kill") {
        const std::string name = body.value("signal", "KILL");
        auto sig = process::parse_signal(name);
        if (!sig) throw HttpError(400, "bad_signal", "unknown signal '" + name + "' (KILL, TERM, INT, ...)");
        return s.call([&](Supervisor& sup) { return sup.kill(id, *sig); });
      }
      if (action == "pause") return s.call([&](Supervisor& sup) { return sup.pause(id); });
      if (action == "resume") return s.call([&](Supervisor& sup) { return sup.resume(id); });
      return s.call([&](Supervisor& sup) { return sup.restart(id); });
    });
  });

  server_.Post("/scale", [&s](const httplib::Request& req, httplib::Response& res) {
    answer(res, 202, [&] {
      const auto body = body_of(req);
      if (!body.contains("instances") || !body["instances"].is_number_integer())
        throw HttpError(400, "bad_instances", "\"instances\" must be an integer");
      const int n = body["instances"].get<int>();
      return s.call([n](Supervisor& sup) { return sup.scale(n); });
    });
  });

  // The autoscaler: GET shows it, PUT turns it on (or replaces its policy) from
  // {"spec": "min=1,max=8,metric=rps,target=200"} or {"policy": {...}} (autoscaler.hpp's
  // JSON), DELETE turns it off.
  server_.Get("/autoscale", [&s](const httplib::Request&, httplib::Response& res) {
    answer(res, 200, [&] { return s.call([](Supervisor& sup) { return sup.autoscale_show(); }); });
  });
  server_.Put("/autoscale", [&s](const httplib::Request& req, httplib::Response& res) {
    answer(res, 200, [&] {
      const auto body = body_of(req);
      AutoscalePolicy policy;
      try {
        if (body.contains("spec") && body["spec"].is_string())
          policy = parse_autoscale_policy(body["spec"].get<std::string>());
        else if (body.contains("policy") && body["policy"].is_object())
          policy = autoscale_policy_from_json(body["policy"]);
        else
          throw HttpError(400, "bad_policy", "the body needs \"spec\" (a string) or \"policy\" (an object)");
      } catch (const std::invalid_argument& e) {
        throw HttpError(400, "bad_policy", e.what());
      }
      return s.call([policy](Supervisor& sup) { return sup.autoscale_set(policy); });
    });
  });
  server_.Delete("/autoscale", [&s](const httplib::Request&, httplib::Response& res) {
    answer(res, 200, [&] { return s.call([](Supervisor& sup) { return sup.autoscale_off(); }); });
  });

  // Scale to zero's wake-up call, from the balancer's activator: {"waiting": N}, the
  // requests it holds with no instance to send them to.
  server_.Post("/activate", [&s](const httplib::Request& req, httplib::Response& res) {
    answer(res, 200, [&] {
      const auto body = body_of(req);
      int waiting = 1;
      if (body.contains("waiting")) {
        if (!body["waiting"].is_number_integer() || body["waiting"].get<long long>() < 0 ||
            body["waiting"].get<long long>() > 1000000)
          throw HttpError(400, "bad_waiting", "\"waiting\" must be an integer from 0 to 1000000");
        waiting = body["waiting"].get<int>();
      }
      return s.call([waiting](Supervisor& sup) { return sup.activate(waiting); });
    });
  });

  server_.Post("/toggle", [&s](const httplib::Request& req, httplib::Response& res) {
    answer(res, 200, [&] {
      const auto body = body_of(req);
      if (!body.contains("mode") || !body["mode"].is_string())
        throw HttpError(400, "bad_mode", "\"mode\" must be \"shared\" or \"local\"");
      const std::string concern = body.value("concern", std::string());
      const std::string mode = body["mode"];
      return s.call([&](Supervisor& sup) { return sup.toggle(concern, mode); });
    });
  });

  server_.Get("/faults", [&s](const httplib::Request&, httplib::Response& res) {
    answer(res, 200, [&] { return s.call([](Supervisor& sup) { return sup.fault_list(); }); });
  });
  server_.Post(R"(/faults/([^/]+))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string link = req.matches[1];
    answer(res, 201, [&] {
      const auto toxic = body_of(req);
      return s.call([&](Supervisor& sup) { return sup.fault_add(link, toxic); });
    });
  });
  server_.Delete(R"(/faults/([^/]+))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string link = req.matches[1];
    answer(res, 200, [&] { return s.call([&](Supervisor& sup) { return sup.fault_clear(link); }); });
  });
  server_.Delete(R"(/faults/([^/]+)/([^/]+))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string link = req.matches[1], name = req.matches[2];
    answer(res, 200, [&] { return s.call([&](Supervisor& sup) { return sup.fault_remove(link, name); }); });
  });

  server_.Post("/down", [&s](const httplib::Request&, httplib::Response& res) {
    answer(res, 202, [&] { return s.call([](Supervisor& sup) { return sup.down(); }); });
  });

  // A component's log, from `offset` (default: the last 64 KiB), at most `max` bytes.
  server_.Get(R"(/logs/([^/]+))", [&s](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    answer(res, 200, [&] {
      if (!valid_id(id)) throw HttpError(400, "bad_id", "component ids are letters, digits, - and _");
      const auto path = id == "supervisor" ? std::filesystem::absolute(s.config().dir) / "supervisor.log"
                                           : log_path(s.config(), id);
      std::ifstream in(path, std::ios::binary);
      if (!in) throw HttpError(404, "unknown_component", "no log for '" + id + "'");
      in.seekg(0, std::ios::end);
      const std::uint64_t size = static_cast<std::uint64_t>(in.tellg());
      std::uint64_t max = 65536, offset = size > max ? size - max : 0;
      try {
        if (req.has_param("max")) max = std::min<std::uint64_t>(std::stoull(req.get_param_value("max")), 1 << 20);
        if (req.has_param("offset")) offset = std::min<std::uint64_t>(std::stoull(req.get_param_value("offset")), size);
      } catch (const std::exception&) {
        throw HttpError(400, "bad_parameter", "offset and max are byte counts");
      }
      std::string text(static_cast<std::size_t>(std::min(max, size - offset)), '\0');
      in.seekg(static_cast<std::streamoff>(offset));
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      return nlohmann::json{{"id", id}, {"offset", offset}, {"next", offset + text.size()}, {"size", size}, {"text", text}};
    });
  });
}

}  // namespace scalelab::lab
