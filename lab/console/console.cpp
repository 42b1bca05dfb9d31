// The console's routes on the supervisor's server, and the state they share.
#include "lab/console/console.hpp"

#include <httplib.h>

#include <memory>

#include "common/json_error.hpp"
#include "common/log.hpp"
#include "lab/console/assets.hpp"
#include "lab/console/history.hpp"
#include "lab/console/load_board.hpp"
#include "lab/console/sampler.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::console {
namespace {

using nlohmann::json;

// The page keeps at most this many events; a first poll gets the latest ones.
constexpr std::size_t kMaxEvents = 300;

struct Console {
  explicit Console(lab::Supervisor& s) : supervisor(s), sampler(s, history) {}
  lab::Supervisor& supervisor;
  History history;
  LoadBoard load;
  Sampler sampler;  // last: it stops before the history it writes goes
};

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& detail) {
  res.status = status;
  res.set_content(error_body(code, detail), "application/json");
}

void send_asset(httplib::Response& res, std::string_view name) {
  const Asset* a = find_asset(name);
  if (a == nullptr) return send_error(res, 404, "not_found", "the console has no file '" + std::string(name) + "'");
  // Always revalidate: the files change with the binary, and they are tiny.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(a->body), std::string(a->content_type));
}

// A non-negative number parameter, or `fallback`; throws std::invalid_argument.
double number_param(const httplib::Request& req, const char* key, double fallback) {
  if (!req.has_param(key)) return fallback;
  const std::string text = req.get_param_value(key);
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 0) throw std::invalid_argument(std::string(key) + " must be a non-negative number");
  return v;
}

json status_or_error(lab::Supervisor& s) {
  try {
    return s.call([](lab::Supervisor& sup) { return sup.status(); });
  } catch (const HttpError& e) {
    return error_json(e.code(), e.what());
  }
}

json recent_events(lab::Supervisor& s, std::uint64_t since) {
  json events = s.events().since(since);
  if (events.size() <= kMaxEvents) return events;
  return json(events.end() - static_cast<std::ptrdiff_t>(kMaxEvents), events.end());
}

}  // namespace

void attach_console(httplib::Server& server, lab::Supervisor& supervisor) {
  auto console = std::make_shared<Console>(supervisor);
  console->sampler.start();

  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/console"); });
  server.Get("/console", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "index.html"); });
  server.Get("/console/", [](const httplib::Request&, httplib::Response& res) { send_asset(res, "index.html"); });
  server.Get(R"(/console/([A-Za-z0-9_-]+\.[a-z]+))", [](const httplib::Request& req, httplib::Response& res) {
    send_asset(res, req.matches[1].str());
  });

  server.Get("/console/api/snapshot", [console](const httplib::Request& req, httplib::Response& res) {
    try {
      const double since = number_param(req, "since", 0);
      const auto events_since = static_cast<std::uint64_t>(number_param(req, "events", 0));
      const double now = log::unix_now();
      send_json(res, 200,
                {{"now", now},
                 {"window_s", 300},
                 {"status", status_or_error(console->supervisor)},
                 {"events", recent_events(console->supervisor, events_since)},
                 {"series", console->history.since(since)},
                 {"balancer", console->sampler.balancer()},
                 {"faults", console->sampler.faults()},
                 {"load", console->load.to_json(now)},
                 {"sampler", console->sampler.health()}});
    } catch (const std::invalid_argument& e) {
      send_error(res, 400, "bad_parameter", e.what());
    }
  });

  server.Get("/console/api/series", [console](const httplib::Request& req, httplib::Response& res) {
    try {
      send_json(res, 200, console->history.since(number_param(req, "since", 0)));
    } catch (const std::invalid_argument& e) {
      send_error(res, 400, "bad_parameter", e.what());
    }
  });

  server.Post("/console/api/load-sample", [console](const httplib::Request& req, httplib::Response& res) {
    const json sample = json::parse(req.body, nullptr, false);
    if (sample.is_discarded()) return send_error(res, 400, "bad_json", "the body must be a JSON load sample");
    const std::string source = req.has_param("source") ? req.get_param_value("source") : "load";
    if (source.empty() || source.size() > 100) return send_error(res, 400, "bad_source", "source is 1 to 100 characters");
    try {
      console->load.add(sample, source, log::unix_now());
    } catch (const std::invalid_argument& e) {
      return send_error(res, 400, "bad_sample", e.what());
    }
    send_json(res, 202, {{"accepted", true}});
  });

  server.Get("/console/api/load", [console](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, console->load.to_json(log::unix_now()));
  });
}

}  // namespace scalelab::console
