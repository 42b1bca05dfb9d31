// The console's sampling thread: one pass a second over the lab's processes.
#include "lab/console/sampler.hpp"

#include <httplib.h>

#include <cmath>

#include "common/backing_services.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "lab/faultproxy/client.hpp"
#include "lab/supervisor/balancer_admin.hpp"

namespace scalelab::console {
namespace {

using nlohmann::json;

// A component the sampler can ask something: alive and not frozen (a SIGSTOPped
// process would only cost a timeout).
bool answering(const json& component) {
  const std::string state = component.value("state", "");
  return component.value("pid", 0) > 0 && (state == "starting" || state == "ready" || state == "unready" || state == "draining");
}

std::optional<AppCounters> scrape(const std::string& address) {
  auto hp = net::parse_host_port(address);
  if (!hp) return std::nullopt;
  httplib::Client client(hp->host, hp->port);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(0, 200000);
  client.set_read_timeout(0, 500000);
  auto r = client.Get("/metrics");
  if (!r || r->status != 200) return std::nullopt;
  return app_counters(parse_prometheus_text(r->body));
}

}  // namespace

Sampler::Sampler(lab::Supervisor& supervisor, History& history)
    : supervisor_(supervisor), ports_(supervisor.config().ports), history_(history) {}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

json Sampler::balancer() const {
  std::lock_guard lock(mu_);
  return balancer_;
}

json Sampler::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

json Sampler::health() const {
  std::lock_guard lock(mu_);
  return {{"t", last_t_}, {"took_ms", took_ms_}, {"lab_down", lab_down_}, {"interval_s", 1}};
}

void Sampler::loop() {
  // Supervisor::run() records its first events before its main loop takes commands;
  // until then a call() could wait forever (if the lab never starts).
  {
    std::unique_lock lock(mu_);
    while (!stopping_ && supervisor_.events().last_seq() == 0) wake_.wait_for(lock, std::chrono::milliseconds(50));
  }
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    const auto started = std::chrono::steady_clock::now();
    try {
      sample_once();
    } catch (const std::exception& e) {
      log::warn("console sampler", {{"cause", e.what()}});
    }
    {
      std::lock_guard lock(mu_);
      took_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (lab_down_) return;
    }
    // A fixed schedule, so a slow scrape does not stretch every later interval; if
    // one overran a whole interval, start again from now rather than catch up.
    next += kInterval;
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now() + kInterval;
  }
}

void Sampler::sample_once() {
  json status;
  try {
    status = supervisor_.call([](lab::Supervisor& s) { return s.status(); });
  } catch (const HttpError&) {
    std::lock_guard lock(mu_);
    lab_down_ = true;  // the main loop has finished: the lab is down, nothing runs
    balancer_ = nullptr;
    faults_ = nullptr;
    return;
  }
  if (status["lab"].value("phase", "") != "running") return;  // coming down: counters would only fall to nothing

  Frame frame;
  // Whole milliseconds, so a client that prints `since` with a few decimals still
  // names this frame exactly.
  frame.t = std::round(log::unix_now() * 1000.0) / 1000.0;
  sample_apps(status, frame);
  bool balancer_running = false, faults_running = false, postgres_running = false, has_postgres = false;
  for (const auto& c : status["components"]) {
    if (c["kind"] == "balancer") balancer_running = answering(c);
    if (c["kind"] == "faults") faults_running = answering(c);
    if (c["kind"] == "postgres") has_postgres = true, postgres_running = answering(c);
  }
  sample_balancer(balancer_running, frame);
  sample_faults(faults_running);
  if (has_postgres) sample_database(postgres_running, frame);
  history_.add(std::move(frame));
  std::lock_guard lock(mu_);
  last_t_ = log::unix_now();
}

// The server's own count against its budget. A stopped server is a frame with no
// figures (a gap in the chart), not a missing database.
void Sampler::sample_database(bool running, Frame& frame) {
  frame.database.emplace();
  if (!running) return;
  if (!db_meter_) db_meter_.emplace(services::postgres_url(ports_.postgres()));
  const lab::DbServerReading r = db_meter_->read();
  frame.database->connections = r.connections;
  frame.database->budget = r.budget;
}

void Sampler::sample_apps(const json& status, Frame& frame) {
  std::map<std::string, Scrape> scraped;
  for (const auto& c : status["components"]) {
    if (c["kind"] != "app" || !answering(c)) continue;
    const std::string id = c["id"];
    auto counters = scrape(c["address"]);
    const double t = log::unix_now();
    if (!counters) continue;
    // An instance that was not scraped last time (new, restarted, resumed) gets a
    // baseline now and a point from the next sample on.
    if (auto it = last_scrape_.find(id); it != last_scrape_.end())
      frame.instances[id] = instance_rates(it->second.counters, *counters, t - it->second.t);
    scraped[id] = {t, std::move(*counters)};
  }
  last_scrape_ = std::move(scraped);
}

void Sampler::sample_balancer(bool running, Frame& frame) {
  std::optional<json> answer;
  if (running) answer = lab::BalancerAdmin(ports_.balancer_admin()).backends();
  if (!answer || !(*answer)["backends"].is_array()) {
    std::lock_guard lock(mu_);
    balancer_ = nullptr;
    return;
  }
  json& backends = (*answer)["backends"];
  std::map<std::string, double> totals;
  for (const auto& b : backends) totals[b.value("id", "")] = b.value("requests_total", 0.0);
  distribution_.add(frame.t, std::move(totals));
  frame.backends = distribution_.over(1.0);
  const auto recent = distribution_.over(kShareWindow);
  for (auto& b : backends) {
    auto it = recent.find(b.value("id", ""));
    b["recent_rps"] = it == recent.end() ? 0.0 : it->second.rps;
    b["recent_share"] = it == recent.end() || !it->second.share ? json(nullptr) : json(*it->second.share);
  }
  (*answer)["t"] = frame.t;
  (*answer)["share_window_s"] = kShareWindow;
  note_backend_changes(backends);
  std::lock_guard lock(mu_);
  balancer_ = std::move(*answer);
}

void Sampler::note_backend_changes(const json& backends) {
  std::map<std::string, BackendSeen> now;
  for (const auto& b : backends) {
    const std::string id = b.value("id", "");
    BackendSeen seen{b.value("ejected", false), b.value("check_state", "")};
    auto before = backends_seen_.find(id);
    const bool known = before != backends_seen_.end();
    if (seen.ejected && (!known || !before->second.ejected))
      supervisor_.events().add("eject", id,
                               "the balancer ejected it for " + std::to_string(b.value("ejected_for_ms", 0)) + " ms (ejection " +
                                   std::to_string(b.value("ejections", 0)) + ")");
    if (!seen.ejected && known && before->second.ejected) supervisor_.events().add("eject_end", id, "the balancer's ejection ended");
    // unknown -> healthy is every instance joining; only real changes are news.
    if (known && before->second.check_state != seen.check_state) {
      if (seen.check_state == "unhealthy")
        supervisor_.events().add("lb_unhealthy", id, "the balancer's health checks fail; no new requests");
      else if (seen.check_state == "healthy" && before->second.check_state == "unhealthy")
        supervisor_.events().add("lb_healthy", id, "the balancer's health checks pass again");
    }
    now[id] = std::move(seen);
  }
  backends_seen_ = std::move(now);
}

void Sampler::sample_faults(bool running) {
  json proxies;
  if (running) {
    try {
      faultproxy::Client client("127.0.0.1", ports_.faults_api(), std::chrono::milliseconds(500));
      proxies = client.proxies();
    } catch (const std::exception&) {
      proxies = nullptr;  // shown as "not answering"
    }
  }
  std::lock_guard lock(mu_);
  faults_ = std::move(proxies);
}

}  // namespace scalelab::console
