// The supervisor's main loop: spawn, reap, probe, restart, keep the balancer's
// membership current, and walk the shutdown. Commands live in supervisor_commands.cpp.
#include "lab/supervisor/supervisor.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <httplib.h>

#include "common/log.hpp"
#include "lab/supervisor/log_tail.hpp"
#include "lab/supervisor/probes.hpp"
#include "lab/supervisor/spawn_specs.hpp"

namespace scalelab::lab {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kProbeEvery = std::chrono::milliseconds(250);
constexpr auto kProbeStarting = std::chrono::milliseconds(100);

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Supervisor::Supervisor(LabConfig config) : config_(std::move(config)), balancer_(config_.ports.balancer_admin()) {}

Supervisor::~Supervisor() {
  // Whatever is still running goes with us (the Process destructors SIGKILL and reap).
  for (auto& c : components_)
    if (c->probe.valid()) c->probe.wait();
}

Component& Supervisor::add_component(Kind kind, int number) {
  auto c = std::make_unique<Component>();
  c->kind = kind;
  c->number = number;
  const auto& p = config_.ports;
  switch (kind) {
    case Kind::redis: c->id = "redis"; c->port = c->probe_port = p.redis(); break;
    case Kind::s3: c->id = "s3"; c->port = c->probe_port = p.s3(); break;
    case Kind::postgres: c->id = "postgres"; c->port = c->probe_port = p.postgres(); break;
    case Kind::pgbouncer: c->id = "pgbouncer"; c->port = c->probe_port = p.pgbouncer(); break;
    case Kind::faults: c->id = "faults"; c->port = c->probe_port = p.faults_api(); break;
    case Kind::balancer: c->id = "balancer"; c->port = p.balancer(); c->probe_port = p.balancer_admin(); break;
    case Kind::prometheus: c->id = "prometheus"; c->port = c->probe_port = p.prometheus(); break;
    case Kind::app:
      c->id = "app-" + std::to_string(number);
      c->port = c->probe_port = p.app(number);
      c->admin_port = p.app_admin(number);
      break;
  }
  c->log_path = log_path(config_, c->id).string();
  components_.push_back(std::move(c));
  targets_dirty_ = true;
  return *components_.back();
}

Component& Supervisor::find(const std::string& id) {
  for (auto& c : components_)
    if (c->id == id) return *c;
  std::string known;
  for (auto& c : components_) known += (known.empty() ? "" : ", ") + c->id;
  throw HttpError(404, "unknown_component", "no component '" + id + "' (the lab has: " + known + ")");
}

std::vector<Component*> Supervisor::apps() {
  std::vector<Component*> out;
  for (auto& c : components_)
    if (c->kind == Kind::app) out.push_back(c.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->number < b->number; });
  return out;
}

void Supervisor::spawn(Component& c) {
  c.restart_at.reset();
  c.stop_deadline.reset();
  c.kill_signal.reset();
  c.restart_after_exit = false;
  c.detail.clear();
  c.log_offset = log_size(c.log_path);
  try {
    c.process = process::Process::spawn(lab::spawn_options(config_, c.kind, c.id, c.port));
  } catch (const std::exception& e) {
    c.state = State::down;
    c.detail = e.what();
    events_.add("spawn_failed", c.id, e.what());
    return;
  }
  c.state = State::starting;
  c.started_at = Clock::now();
  c.started_unix_ms = unix_ms();
  c.next_probe = Clock::now();
  state_dirty_ = true;
  events_.add("spawn", c.id, "pid " + std::to_string(c.process.pid()));
}

int Supervisor::run() {
  started_at_ = Clock::now();
  started_unix_ms_ = unix_ms();
  if (config_.prometheus) write_prometheus_config(config_);
  if (config_.autoscale) autoscale_set(*config_.autoscale);
  // Backing services first; the apps wait for nothing (they report unready until
  // Redis answers), so everything starts at once and readiness sorts itself out.
  for (Kind k : {Kind::redis, Kind::s3, Kind::faults}) spawn(add_component(k));
  if (config_.database) spawn(add_component(Kind::postgres));
  if (config_.database && config_.db_pooler == "pgbouncer") spawn(add_component(Kind::pgbouncer));
  for (int n = 1; n <= config_.instances; ++n) spawn(add_component(Kind::app, n));
  spawn(add_component(Kind::balancer));
  if (config_.prometheus) spawn(add_component(Kind::prometheus));
  events_.add("up", "", std::to_string(config_.instances) + " instances, state " + config_.state + ", " + config_.algorithm);

  while (phase_ != Phase::finished) {
    tick();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, kTick, [this] { return !commands_.empty(); });
  }
  events_.add("down", "", "every process stopped");
  write_state_file();
  std::lock_guard lock(mu_);
  finished_ = true;
  for (auto& cmd : commands_)
    cmd->result.set_exception(std::make_exception_ptr(HttpError(503, "lab_stopped", "the lab has been brought down")));
  commands_.clear();
  return 0;
}

void Supervisor::tick() {
  // Reaped before and after the commands: a status must not report as running a
  // process that exited while the loop waited for them.
  for (auto& c : components_) reap(*c);
  run_commands();
  for (auto& c : components_) reap(*c);
  std::erase_if(components_, [this](const std::unique_ptr<Component>& c) {
    const bool gone = c->removing && !c->alive();
    if (gone) {
      events_.add("removed", c->id, "scaled in");
      targets_dirty_ = state_dirty_ = true;
      if (c->probe.valid()) c->probe.wait();
    }
    return gone;
  });
  const auto now = Clock::now();
  for (auto& c : components_) {
    if (c->restart_at && now >= *c->restart_at && phase_ == Phase::running) {
      ++c->restarts;
      spawn(*c);
    }
    if (c->stop_deadline && now >= *c->stop_deadline && c->alive()) {
      events_.add("escalate", c->id, "still running at its stop deadline: SIGKILL");
      c->process.signal(SIGKILL);
      c->stop_deadline.reset();
    }
    if (c->removing) advance_scale_in(*c);
    check_readiness(*c);
  }
  if (phase_ == Phase::running) {
    sync_balancer();
    sync_state_modes();
    autoscale_sync(now);
  }
  if (phase_ != Phase::running) advance_shutdown();
  if (state_dirty_) write_state_file();
  if (targets_dirty_ && config_.prometheus) update_prometheus_targets();
}

void Supervisor::run_commands() {
  std::deque<std::unique_ptr<Command>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(commands_);
  }
  for (auto& cmd : batch) {
    try {
      cmd->result.set_value(cmd->run(*this));
    } catch (...) {
      cmd->result.set_exception(std::current_exception());
    }
  }
}

nlohmann::json Supervisor::call(std::function<nlohmann::json(Supervisor&)> command) {
  auto cmd = std::make_unique<Command>();
  cmd->run = std::move(command);
  auto future = cmd->result.get_future();
  {
    std::lock_guard lock(mu_);
    if (finished_) throw HttpError(503, "lab_stopped", "the lab has been brought down");
    commands_.push_back(std::move(cmd));
  }
  wake_.notify_one();
  return future.get();
}

void Supervisor::request_down() {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(std::make_unique<Command>(Command{[](Supervisor& s) { return s.down(); }, {}}));
  }
  wake_.notify_one();
}

void Supervisor::reap(Component& c) {
  if (!c.process.valid() || c.state == State::killed || c.state == State::down || c.state == State::stopped) return;
  if (auto status = c.process.poll()) on_exit(c, *status);
}

void Supervisor::on_exit(Component& c, const process::ExitStatus& status) {
  c.last_exit = status.describe();
  c.last_error = last_error_line(c.log_path, c.log_offset);
  c.stop_deadline.reset();
  state_dirty_ = true;
  const bool killed = c.kill_signal.has_value();
  events_.add("exit", c.id, status.describe() + (killed ? " (scalelab kill)" : ""));
  if (c.kind == Kind::balancer)
    for (auto* app : apps()) app->in_balancer = false;  // it forgets its membership
  if (c.removing || phase_ != Phase::running) {
    c.state = State::stopped;
  } else if (c.restart_after_exit) {
    c.state = State::stopped;
    ++c.restarts;
    spawn(c);
  } else {
    c.state = killed ? State::killed : State::down;
    if (config_.restart == RestartPolicy::always) c.restart_at = Clock::now() + config_.restart_delay;
  }
}

void Supervisor::check_readiness(Component& c) {
  if (c.probe.valid()) {
    if (c.probe.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    ProbeResult result = c.probe.get();
    if (c.alive() && c.state != State::paused) on_ready_change(c, result);
  }
  const bool probing = c.state == State::starting || c.state == State::ready || c.state == State::unready ||
                       c.state == State::draining;
  if (!probing || !c.alive() || Clock::now() < c.next_probe) return;
  c.next_probe = Clock::now() + (c.state == State::starting ? kProbeStarting : kProbeEvery);
  c.probe = std::async(std::launch::async, [kind = c.kind, port = c.probe_port, starting = c.state == State::starting] {
    return probe(kind, port, starting);
  });
}

void Supervisor::on_ready_change(Component& c, const ProbeResult& result) {
  if (!result.state_mode.empty()) c.state_mode = result.state_mode;
  if (c.state == State::draining) {
    c.detail = result.detail;
    return;
  }
  if (result.ready && c.state != State::ready) {
    const double took = std::chrono::duration<double>(Clock::now() - c.started_at).count();
    events_.add("ready", c.id, c.state == State::starting ? "after " + std::to_string(took).substr(0, 4) + " s" : "");
    c.state = State::ready;
    c.detail.clear();
  } else if (!result.ready) {
    // Two failed checks in a row, like the balancer's fall threshold.
    if (c.state == State::ready && ++c.failed_probes >= 2) {
      c.state = State::unready;
      events_.add("unready", c.id, result.detail);
    }
    c.detail = result.detail;
  }
  if (result.ready) c.failed_probes = 0;
}

void Supervisor::sync_balancer() {
  Component* balancer = nullptr;
  for (auto& c : components_)
    if (c->kind == Kind::balancer) balancer = c.get();
  if (balancer == nullptr || balancer->state != State::ready) return;
  for (auto* app : apps()) {
    // An instance joins the rotation once it has been ready; after that the balancer's
    // own health checks decide, which is what the lab is there to show.
    if (app->in_balancer || app->removing || !app->alive() || app->state != State::ready) continue;
    if (balancer_.add(app->id, "127.0.0.1:" + std::to_string(app->port))) {
      app->in_balancer = true;
      events_.add("member", app->id, "added to the balancer");
    }
  }
}

// An instance that missed a toggle (it was paused, or restarting) reports another state
// mode in its answers than the lab's; push the lab's to it, at most once a second.
void Supervisor::sync_state_modes() {
  const std::string expected = state_header(config_);
  const nlohmann::json update = lab_state_json();
  for (auto* app : apps()) {
    if (app->state != State::ready || app->state_mode.empty() || app->state_mode == expected) continue;
    if (Clock::now() < app->next_state_sync) continue;
    app->next_state_sync = Clock::now() + std::chrono::seconds(1);
    httplib::Client client("127.0.0.1", app->admin_port);
    client.set_connection_timeout(0, 300000);
    client.set_read_timeout(1, 0);
    if (auto r = client.Put("/admin/state", update.dump(), "application/json"); r && r->status == 200) {
      events_.add("toggle", app->id, "caught up with the lab's state: " + expected);
      app->state_mode = r->get_header_value("X-Scalelab-State");
    }
  }
}

void Supervisor::advance_scale_in(Component& c) {
  if (!c.alive() || c.stop_deadline) return;  // exiting already
  if (!c.drain_sent) {
    c.drain_sent = true;
    c.state = State::draining;
    c.drain_deadline = Clock::now() + std::chrono::seconds(10);
    if (c.in_balancer && !balancer_.remove(c.id)) c.drain_deadline = Clock::now();  // no balancer: go on
    return;
  }
  const auto listed = c.in_balancer ? balancer_.lists(c.id) : std::optional<bool>(false);
  if ((listed && *listed) && Clock::now() < *c.drain_deadline) return;
  c.in_balancer = false;
  c.process.signal(stop_signal(c.kind));
  c.process.signal(SIGCONT);
  c.stop_deadline = Clock::now() + std::chrono::seconds(15);
}

void Supervisor::write_state_file() {
  nlohmann::json state{{"supervisor_pid", ::getpid()}, {"components", nlohmann::json::array()}};
  for (auto& c : components_)
    if (c->process.valid() && c->alive()) state["components"].push_back({{"id", c->id}, {"pid", c->process.pid()}});
  const auto path = std::filesystem::absolute(config_.dir) / "state.json";
  {
    std::ofstream out(path.string() + ".tmp", std::ios::trunc);
    out << state.dump(2) << '\n';
  }
  std::error_code ignored;
  std::filesystem::rename(path.string() + ".tmp", path, ignored);
  state_dirty_ = false;
}

void Supervisor::update_prometheus_targets() {
  std::map<std::string, std::uint16_t> targets;
  for (auto* app : apps())
    if (!app->removing) targets[app->id] = app->port;
  write_prometheus_targets(config_, targets);
  targets_dirty_ = false;
}

}  // namespace scalelab::lab
