#include "lab/supervisor/lab_client.hpp"

#include <httplib.h>

#include <thread>

namespace scalelab::lab {

LabClient::LabClient(const std::filesystem::path& dir, std::chrono::milliseconds timeout)
    : LabClient(read_lab_config(dir), timeout) {}

LabClient::LabClient(const LabConfig& config, std::chrono::milliseconds timeout)
    : config_(config), http_(std::make_unique<httplib::Client>("127.0.0.1", config.ports.supervisor())) {
  http_->set_tcp_nodelay(true);
  http_->set_connection_timeout(1, 0);
  http_->set_read_timeout(timeout.count() / 1000, (timeout.count() % 1000) * 1000);
}

LabClient::~LabClient() = default;

nlohmann::json LabClient::call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  httplib::Result r = method == "GET"    ? http_->Get(path)
                      : method == "POST" ? http_->Post(path, text, "application/json")
                      : method == "PUT"  ? http_->Put(path, text, "application/json")
                                         : http_->Delete(path);
  if (!r)
    throw HttpError(0, "unreachable",
                         "the lab's supervisor does not answer on 127.0.0.1:" + std::to_string(config_.ports.supervisor()) +
                             " (" + httplib::to_string(r.error()) + "); is the lab up? (scalelab status)");
  require_own_lab(*r);
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status >= 400) {
    const std::string code = j.is_object() ? j.value("error", "error") : "error";
    const std::string detail = j.is_object() ? j.value("detail", r->body) : r->body;
    throw HttpError(r->status, code, detail);
  }
  if (j.is_discarded()) throw HttpError(502, "bad_answer", "the supervisor answered something that is not JSON");
  return j;
}

bool LabClient::reachable() {
  auto r = http_->Get("/healthz");
  if (!r) return false;
  require_own_lab(*r);
  return r->status == 200;
}

void LabClient::require_own_lab(const httplib::Response& r) const {
  if (config_.id.empty()) return;  // a lab.json older than the id: nothing to compare
  const std::string answered = r.get_header_value(std::string(kLabIdHeader));
  if (answered != config_.id)
    throw HttpError(0, "another_lab",
                    "127.0.0.1:" + std::to_string(config_.ports.supervisor()) +
                        " is answered by the supervisor of another lab, not the one in " + config_.dir.string() +
                        " (two labs on one port range: use another --base-port)");
}

nlohmann::json LabClient::status() { return call("GET", "/status"); }
nlohmann::json LabClient::events(std::uint64_t since) { return call("GET", "/events?since=" + std::to_string(since)); }
nlohmann::json LabClient::kill(const std::string& id, const std::string& signal) {
  return call("POST", "/components/" + id + "/kill", {{"signal", signal}});
}
nlohmann::json LabClient::pause(const std::string& id) { return call("POST", "/components/" + id + "/pause", nlohmann::json::object()); }
nlohmann::json LabClient::resume(const std::string& id) { return call("POST", "/components/" + id + "/resume", nlohmann::json::object()); }
nlohmann::json LabClient::restart(const std::string& id) { return call("POST", "/components/" + id + "/restart", nlohmann::json::object()); }
nlohmann::json LabClient::scale(int instances) { return call("POST", "/scale", {{"instances", instances}}); }
nlohmann::json LabClient::toggle(const std::string& concern, const std::string& mode) {
  nlohmann::json body{{"mode", mode}};
  if (!concern.empty()) body["concern"] = concern;
  return call("POST", "/toggle", body);
}
nlohmann::json LabClient::autoscale() { return call("GET", "/autoscale"); }
nlohmann::json LabClient::autoscale_set(const std::string& spec) { return call("PUT", "/autoscale", {{"spec", spec}}); }
nlohmann::json LabClient::autoscale_off() { return call("DELETE", "/autoscale"); }
nlohmann::json LabClient::faults() { return call("GET", "/faults"); }
nlohmann::json LabClient::fault_add(const std::string& link, const nlohmann::json& toxic) {
  return call("POST", "/faults/" + link, toxic);
}
nlohmann::json LabClient::fault_clear(const std::string& link) { return call("DELETE", "/faults/" + link); }
nlohmann::json LabClient::fault_remove(const std::string& link, const std::string& name) {
  return call("DELETE", "/faults/" + link + "/" + name);
}
nlohmann::json LabClient::logs(const std::string& id, std::optional<std::uint64_t> offset) {
  return call("GET", "/logs/" + id + (offset ? "?offset=" + std::to_string(*offset) : std::string()));
}
nlohmann::json LabClient::down() { return call("POST", "/down", nlohmann::json::object()); }

nlohmann::json LabClient::wait_for(const std::function<bool(const nlohmann::json&)>& done,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (true) {
    last = status();
    if (done(last) || std::chrono::steady_clock::now() >= deadline) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

nlohmann::json LabClient::restart_and_wait(const std::string& id, std::chrono::milliseconds timeout) {
  const auto entry_of = [&id](const nlohmann::json& status) -> const nlohmann::json* {
    for (const auto& c : status.at("components"))
      if (c.at("id") == id) return &c;
    return nullptr;
  };
  const nlohmann::json first = status();
  const nlohmann::json* entry = entry_of(first);
  const int before = entry ? entry->at("restarts").get<int>() : 0;
  restart(id);  // an unknown id is the supervisor's 404, which names the ones it has
  const nlohmann::json last = wait_for(
      [&](const nlohmann::json& s) {
        const nlohmann::json* c = entry_of(s);
        return c && c->at("restarts").get<int>() > before && c->at("state") == "ready";
      },
      timeout);
  entry = entry_of(last);
  if (!entry) throw HttpError(404, "unknown_component", id + " left the lab while it restarted");
  return *entry;
}

bool all_ready(const nlohmann::json& status) {
  for (const auto& c : status.at("components")) {
    if (c.at("state") != "ready") return false;
    if (c.at("kind") == "app" && !c.value("in_balancer", false)) return false;  // not serving through the balancer yet
  }
  return true;
}

}  // namespace scalelab::lab
