// The supervisor's commands, run on its main loop: status, kill, pause, resume,
// restart, scale, toggle, faults and down. Each returns the JSON the control API
// answers, or throws HttpError.
#include <signal.h>

#include <httplib.h>

#include "common/process.hpp"
#include "lab/faultproxy/client.hpp"
#include "lab/supervisor/spawn_specs.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::lab {
namespace {

void require_link(const std::string& link) {
  if (link != "redis" && link != "s3") throw HttpError(400, "unknown_link", "LINK is redis or s3 (got '" + link + "')");
}

template <class F>
nlohmann::json with_faults(std::uint16_t port, F f) {
  try {
    faultproxy::Client client("127.0.0.1", port, std::chrono::milliseconds(2000));
    return f(client);
  } catch (const faultproxy::ClientError& e) {
    if (e.status() == 0) throw HttpError(503, "faults_unreachable", "the fault proxy does not answer: " + e.detail());
    throw HttpError(e.status(), e.error(), e.detail());
  }
}

}  // namespace

nlohmann::json Supervisor::lab_state_json() const {
  nlohmann::json j;
  for (const char* concern : {"sessions", "cache", "uploads", "ratelimit"}) {
    auto it = config_.state_overrides.find(concern);
    j[concern] = it == config_.state_overrides.end() ? config_.state : it->second;
  }
  return j;
}

nlohmann::json Supervisor::status() {
  const auto now = Clock::now();
  nlohmann::json components = nlohmann::json::array();
  auto add_kind = [&](Kind k) {
    for (auto& c : components_)
      if (c->kind == k) components.push_back(c->to_json(now));
  };
  add_kind(Kind::balancer);
  for (auto* app : apps()) components.push_back(app->to_json(now));
  for (Kind k : {Kind::redis, Kind::s3, Kind::postgres, Kind::pgbouncer, Kind::faults, Kind::prometheus}) add_kind(k);
  auto lab = to_json(config_);
  lab["state_now"] = lab_state_json();
  lab["supervisor_pid"] = ::getpid();
  lab["uptime_s"] = std::chrono::duration<double>(now - started_at_).count();
  lab["started_unix_ms"] = started_unix_ms_;
  lab["phase"] = phase_ == Phase::running ? "running" : "stopping";
  lab["autoscale_last_decision"] = last_decision_;
  return {{"lab", lab}, {"components", components}, {"last_event", events_.last_seq()}};
}

nlohmann::json Supervisor::kill(const std::string& id, int sig) {
  Component& c = find(id);
  if (!c.alive()) throw HttpError(409, "not_running", id + " is not running (" + to_string(c.state) + ")");
  c.kill_signal = sig;
  const int pid = c.process.pid();
  c.process.signal(sig);
  if (c.state == State::paused && sig != SIGKILL) c.process.signal(SIGCONT);  // so it can act on the signal
  events_.add("kill", id, "SIG" + process::signal_name(sig));
  // SIGKILL cannot be caught: the process is gone within milliseconds. Reap it before
  // answering, so what is asked next (scalelab status, the console) sees it killed and
  // not still ready: a status queued behind this command would otherwise run before
  // the loop's next reap (it did once in CI, right after `scalelab kill`).
  if (sig == SIGKILL)
    if (auto status = c.process.wait_for(std::chrono::milliseconds(500))) on_exit(c, *status);
  return {{"id", id}, {"signal", process::signal_name(sig)}, {"pid", pid}};
}

nlohmann::json Supervisor::pause(const std::string& id) {
  Component& c = find(id);
  if (!c.alive()) throw HttpError(409, "not_running", id + " is not running (" + to_string(c.state) + ")");
  if (c.state == State::paused) throw HttpError(409, "already_paused", id + " is paused already");
  c.process.signal(SIGSTOP);
  c.state = State::paused;
  events_.add("pause", id, "SIGSTOP");
  return {{"id", id}, {"state", "paused"}};
}

nlohmann::json Supervisor::resume(const std::string& id) {
  Component& c = find(id);
  if (c.state != State::paused) throw HttpError(409, "not_paused", id + " is not paused (" + to_string(c.state) + ")");
  c.process.signal(SIGCONT);
  c.state = State::unready;  // until its readiness check says otherwise
  c.next_probe = Clock::now();
  events_.add("resume", id, "SIGCONT");
  return {{"id", id}, {"state", "unready"}};
}

nlohmann::json Supervisor::restart(const std::string& id) {
  Component& c = find(id);
  if (c.removing) throw HttpError(409, "removing", id + " is being scaled in");
  events_.add("restart", id, c.alive() ? "SIGTERM, then start again" : "start again");
  if (c.alive()) {
    c.restart_after_exit = true;
    c.process.signal(stop_signal(c.kind));
    c.process.signal(SIGCONT);
    c.stop_deadline = Clock::now() + std::chrono::seconds(10);
  } else {
    ++c.restarts;
    spawn(c);
  }
  return {{"id", id}, {"state", "restarting"}};
}

nlohmann::json Supervisor::scale(int instances) {
  if (instances < 1 || instances > Ports::kMaxInstances)
    throw HttpError(400, "bad_instances", "instances must be from 1 to " + std::to_string(Ports::kMaxInstances));
  // As with a Deployment under an HPA, a count set by hand would be undone at the next
  // sync: say so instead of pretending.
  if (autoscaler_)
    throw HttpError(409, "autoscaling", "the autoscaler decides the count (" + to_string(autoscaler_->policy()) +
                                            "); run scalelab autoscale off first");
  return resize(instances, "");
}

nlohmann::json Supervisor::resize(int instances, const std::string& why) {
  std::vector<Component*> current;
  for (auto* app : apps())
    if (!app->removing) current.push_back(app);
  const int before = static_cast<int>(current.size());
  nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array();
  for (int n = 1; static_cast<int>(current.size()) < instances; ++n) {
    bool taken = false;
    for (auto* app : apps()) taken = taken || app->number == n;
    if (taken) continue;
    Component& c = add_component(Kind::app, n);
    spawn(c);
    current.push_back(&c);
    added.push_back(c.id);
  }
  // Scale in dead instances first, then from the highest number: drain in the
  // balancer, then SIGTERM.
  std::sort(current.begin(), current.end(), [](Component* a, Component* b) {
    const bool a_dead = !a->alive(), b_dead = !b->alive();
    return a_dead != b_dead ? a_dead : a->number > b->number;
  });
  for (std::size_t i = 0; static_cast<int>(current.size() - i) > instances; ++i) {
    current[i]->removing = true;
    removed.push_back(current[i]->id);
  }
  config_.instances = instances;
  write_lab_config(config_);
  targets_dirty_ = true;
  events_.add("scale", "", std::to_string(before) + " -> " + std::to_string(instances) + (why.empty() ? "" : " (" + why + ")"));
  return {{"instances", instances}, {"added", added}, {"removing", removed}};
}

nlohmann::json Supervisor::toggle(const std::string& concern, const std::string& mode) {
  if (mode != "shared" && mode != "local") throw HttpError(400, "bad_mode", "mode is shared or local (got '" + mode + "')");
  nlohmann::json update;
  if (concern.empty() || concern == "all") {
    config_.state = mode;
    config_.state_overrides.clear();
    update = {{"mode", mode}};
  } else if (concern == "sessions" || concern == "cache" || concern == "uploads" || concern == "ratelimit") {
    config_.state_overrides[concern] = mode;
    update = {{concern, mode}};
  } else {
    throw HttpError(400, "bad_concern", "CONCERN is sessions, cache, uploads or ratelimit (got '" + concern + "')");
  }
  write_lab_config(config_);  // instances started later get it from their environment
  nlohmann::json instances = nlohmann::json::object();
  for (auto* app : apps()) {
    if (!app->alive() || app->state == State::paused) {
      instances[app->id] = "not running: it gets the new state when it starts";
      continue;
    }
    httplib::Client client("127.0.0.1", app->admin_port);
    client.set_connection_timeout(0, 500000);
    client.set_read_timeout(1, 0);
    auto r = client.Put("/admin/state", update.dump(), "application/json");
    instances[app->id] = r && r->status == 200 ? "ok" : r ? "HTTP " + std::to_string(r->status) : httplib::to_string(r.error());
    if (r && r->status == 200) app->state_mode = r->get_header_value("X-Scalelab-State");
  }
  events_.add("toggle", "", (concern.empty() ? std::string("all") : concern) + "=" + mode);
  return {{"state", lab_state_json()}, {"instances", instances}};
}

nlohmann::json Supervisor::fault_add(const std::string& link, const nlohmann::json& toxic) {
  require_link(link);
  auto stored = with_faults(config_.ports.faults_api(), [&](auto& f) { return f.add_toxic(link, toxic); });
  events_.add("fault", link, stored.dump());
  return stored;
}

nlohmann::json Supervisor::fault_clear(const std::string& link) {
  require_link(link);
  with_faults(config_.ports.faults_api(), [&](auto& f) {
    f.clear(link);
    return nlohmann::json();
  });
  events_.add("fault_clear", link, "every toxic removed");
  return {{"link", link}, {"toxics", nlohmann::json::array()}};
}

nlohmann::json Supervisor::fault_remove(const std::string& link, const std::string& name) {
  require_link(link);
  with_faults(config_.ports.faults_api(), [&](auto& f) {
    f.remove_toxic(link, name);
    return nlohmann::json();
  });
  events_.add("fault_clear", link, "removed " + name);
  return {{"link", link}, {"removed", name}};
}

nlohmann::json Supervisor::fault_list() {
  return with_faults(config_.ports.faults_api(), [](auto& f) { return f.proxies(); });
}

nlohmann::json Supervisor::down() {
  if (phase_ == Phase::running) {
    events_.add("down_requested", "", "draining the apps first");
    phase_ = Phase::stopping_apps;
    for (auto* app : apps()) {
      app->restart_at.reset();
      if (!app->alive()) continue;
      if (app->in_balancer) balancer_.remove(app->id);
      app->state = State::draining;
      app->process.signal(SIGTERM);
      app->process.signal(SIGCONT);
      app->stop_deadline = Clock::now() + std::chrono::seconds(15);
    }
  }
  return {{"phase", "stopping"}};
}

void Supervisor::advance_shutdown() {
  auto stop_kinds = [&](std::initializer_list<Kind> kinds) {
    for (auto& c : components_) {
      if (std::find(kinds.begin(), kinds.end(), c->kind) == kinds.end()) continue;
      c->restart_at.reset();
      if (!c->alive()) continue;
      c->process.signal(stop_signal(c->kind));
      c->process.signal(SIGCONT);
      c->stop_deadline = Clock::now() + std::chrono::seconds(5);
    }
  };
  auto all_stopped = [&](std::initializer_list<Kind> kinds) {
    for (auto& c : components_)
      if (std::find(kinds.begin(), kinds.end(), c->kind) != kinds.end() && c->alive()) return false;
    return true;
  };
  switch (phase_) {
    case Phase::stopping_apps:
      if (!all_stopped({Kind::app})) return;
      phase_ = Phase::stopping_balancer;
      stop_kinds({Kind::balancer});
      return;
    case Phase::stopping_balancer:
      if (!all_stopped({Kind::balancer})) return;
      phase_ = Phase::stopping_rest;
      stop_kinds({Kind::prometheus, Kind::faults, Kind::s3, Kind::redis, Kind::postgres, Kind::pgbouncer});
      return;
    case Phase::stopping_rest:
      if (all_stopped({Kind::prometheus, Kind::faults, Kind::s3, Kind::redis, Kind::postgres, Kind::pgbouncer}))
        phase_ = Phase::finished;
      return;
    default:
      return;
  }
}

}  // namespace scalelab::lab
