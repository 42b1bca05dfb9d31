#include "lab/supervisor/spawn_specs.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/backing_services.hpp"

#ifndef SCALELAB_SOURCE_DIR
#define SCALELAB_SOURCE_DIR "."
#endif

namespace scalelab::lab {
namespace {

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// The lab's instances run this many workers, or at most this many connection threads,
// unless app_env says otherwise (scalelab-app's own defaults).
constexpr int kAppWorkers = 32;
constexpr int kAppMaxThreads = 4096;

// A positive whole number in `env` under `key`, if there is one.
std::optional<int> positive_env(const std::map<std::string, std::string>& env, const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end()) return std::nullopt;
  int n = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || n <= 0) return std::nullopt;
  return n;
}

// What one instance serves at once by its own model (services/app/concurrency_model.hpp):
// its pool's workers, or its cap on connections (a thread or a fiber each), and what
// those are called.
std::string app_model(const LabConfig& c) {
  const auto model = c.app_env.find("SCALELAB_APP_MODEL");
  return model == c.app_env.end() ? "pool" : model->second;
}

int app_concurrency(const LabConfig& c) {
  if (app_model(c) == "pool") return positive_env(c.app_env, "SCALELAB_WORKERS").value_or(kAppWorkers);
  return positive_env(c.app_env, "SCALELAB_MAX_THREADS").value_or(kAppMaxThreads);
}

std::string app_concurrency_unit(const LabConfig& c) {
  const std::string model = app_model(c);
  if (model == "pool") return " workers";
  return model == "thread-per-connection" ? " connection threads" : " connection fibers";
}

// The balancer's connections per backend: three quarters of what an instance serves at
// once. Each open connection pins a worker or a thread (cpp-httplib serves one
// connection per thread), so the rest stay free for health checks, scrapes and the
// supervisor; with fewer, requests would queue in the balancer (and get 503 after its
// queue timeout) while the instance has idle workers.
int balancer_conns_per_backend(const LabConfig& c) { return std::max(1, app_concurrency(c) * 3 / 4); }

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);  // Prometheus never reads half a file
}

}  // namespace

std::filesystem::path data_dir(const LabConfig& c, const std::string& id) {
  return std::filesystem::absolute(c.dir) / "data" / id;
}

std::filesystem::path log_path(const LabConfig& c, const std::string& id) {
  return std::filesystem::absolute(c.dir) / "logs" / (id + ".log");
}

std::string state_header(const LabConfig& c) {
  std::string all, first;
  bool uniform = true;
  for (const auto& concern : {"sessions", "cache", "uploads", "ratelimit"}) {
    auto it = c.state_overrides.find(concern);
    const std::string mode = it == c.state_overrides.end() ? c.state : it->second;
    if (first.empty()) first = mode;
    uniform = uniform && mode == first;
    all += (all.empty() ? "" : ",") + std::string(concern) + "=" + mode;
  }
  return uniform ? first : all;
}

std::map<std::string, std::string> state_environment(const LabConfig& c) {
  std::map<std::string, std::string> env{{"SCALELAB_STATE", c.state}};
  for (const auto& concern : {"sessions", "cache", "uploads", "ratelimit"}) {
    auto it = c.state_overrides.find(concern);
    env["SCALELAB_STATE_" + upper(concern)] = it == c.state_overrides.end() ? "" : it->second;
  }
  return env;
}

std::optional<std::string> refused_balancer_env(const std::string& key) {
  // Each of these is a flag in spawn_options' balancer command line below.
  static const std::map<std::string, std::string> kLabOwned = {
      {"SCALELAB_BALANCER_ALGORITHM", "the lab sets the algorithm: use --lb (scalelab up) or cluster.balancer (an experiment)"},
      {"SCALELAB_BALANCER_LISTEN", "the lab's balancer listens on its base port (--base-port)"},
      {"SCALELAB_BALANCER_ADMIN_LISTEN", "the lab's balancer admin port follows its base port (--base-port)"},
      {"SCALELAB_BALANCER_INSTANCE", "the lab names its balancer \"balancer\""},
  };
  const auto it = kLabOwned.find(key);
  if (it == kLabOwned.end()) return std::nullopt;
  return "balancer env " + key + " would be ignored: " + it->second;
}

int pgbouncer_server_connections(const LabConfig& c) {
  // Its share of the budget: at most 20, and always room for the lab's own superuser
  // connections (3 reserved) and a couple more for whoever looks in with psql.
  return std::max(1, std::min(20, c.db_max_connections - 5));
}

std::filesystem::path prepare_postgres(const LabConfig& c) {
  const auto home = data_dir(c, "postgres");
  const auto link = home / "postgres";
  if (std::filesystem::exists(link / "data" / "PG_VERSION"))
    return std::filesystem::canonical(link) / "data";  // the real path: root's folders may be closed to PostgreSQL's user
  const auto data = services::make_postgres_home(home);
  auto initdb = process::Process::spawn(services::postgres_initdb(data, log_path(c, "postgres").string()));
  if (const auto st = initdb.wait(); st.signaled || st.code != 0)
    throw std::runtime_error("initdb failed (" + st.describe() + "); see " + log_path(c, "postgres").string());
  return data;
}

void remove_postgres_data(const LabConfig& c) noexcept { services::remove_postgres_home(data_dir(c, "postgres")); }

process::SpawnOptions spawn_options(const LabConfig& c, Kind kind, const std::string& id, std::uint16_t port) {
  const auto data = data_dir(c, id);
  std::filesystem::create_directories(data);
  const std::string log = log_path(c, id).string();
  const std::string bin = c.binaries.empty() ? std::string() : c.binaries + "/";
  const auto& p = c.ports;
  process::SpawnOptions o;
  switch (kind) {
    case Kind::redis:
      o = services::redis_server(port, data.string(), log);
      break;
    case Kind::s3:
      o = services::s3rver(port, data.string(), "scalelab", log);
      break;
    case Kind::postgres:
      o = services::postgres_server(port, prepare_postgres(c), c.db_max_connections, log);
      break;
    case Kind::pgbouncer: {
      // Beside the data folder, where PostgreSQL's user (pgbouncer's too, as root) can read it.
      const auto ini = prepare_postgres(c).parent_path() / "pgbouncer.ini";
      services::write_pgbouncer_ini(ini, port, p.postgres(), kDbName, kDbRole, pgbouncer_server_connections(c));
      o = services::pgbouncer(ini, log);
      break;
    }
    case Kind::faults:
      o.argv = {bin + "scalelab-faultproxy",
                "--proxy", "redis=" + loopback(p.redis_proxy()) + "," + loopback(p.redis()),
                "--proxy", "s3=" + loopback(p.s3_proxy()) + "," + loopback(p.s3()),
                "--api", loopback(p.faults_api())};
      break;
    case Kind::balancer:
      // Where it listens and how it balances are the lab's; the rest are defaults that
      // balancer_env may override (flags would beat the environment).
      o.argv = {bin + "scalelab-balancer", "--listen", loopback(p.balancer()), "--admin-listen",
                loopback(p.balancer_admin()), "--algorithm", c.algorithm, "--instance", "balancer"};
      o.env = c.balancer_env;
      // Health checks every 500 ms, two failures to eject: a frozen or dead instance
      // leaves the rotation within about a second and a half.
      o.env.emplace("SCALELAB_BALANCER_HEALTH_INTERVAL_MS", "500");
      o.env.emplace("SCALELAB_BALANCER_HEALTH_TIMEOUT_MS", "500");
      o.env.emplace("SCALELAB_BALANCER_HEALTH_FALL", "2");
      o.env.emplace("SCALELAB_BALANCER_HEALTH_RISE", "2");
      // A request that finds no instance (the lab scaled to zero, or is still starting)
      // waits while the supervisor is asked for one (balancer/activator.hpp).
      o.env.emplace("SCALELAB_BALANCER_ACTIVATOR", loopback(p.supervisor()));
      o.env.emplace("SCALELAB_BALANCER_MAX_CONNS_PER_BACKEND", std::to_string(balancer_conns_per_backend(c)));
      break;
    case Kind::app:
      o.argv = {bin + "scalelab-app"};
      o.env = c.app_env;
      for (auto& [k, v] : state_environment(c)) o.env[k] = v;
      o.env["SCALELAB_INSTANCE_ID"] = id;
      o.env["SCALELAB_LISTEN"] = loopback(port);
      o.env["SCALELAB_ADMIN_LISTEN"] = loopback(p.app_admin(port - p.app(0)));
      o.env["SCALELAB_REDIS_URL"] = "redis://" + loopback(p.redis_proxy());
      o.env["SCALELAB_S3_ENDPOINT"] = "http://" + loopback(p.s3_proxy());
      o.env["SCALELAB_S3_BUCKET"] = "scalelab";
      o.env["SCALELAB_DATA_DIR"] = data.string();
      if (c.database) o.env["SCALELAB_DATABASE_URL"] = instance_database_url(c);
      // Long enough for the balancer's health check (500 ms x 2) to notice the drain.
      o.env.emplace("SCALELAB_DRAIN_GRACE_MS", "1500");
      break;
    case Kind::prometheus:
      o.argv = {"prometheus",
                "--config.file=" + (std::filesystem::absolute(c.dir) / "prometheus" / "prometheus.yml").string(),
                "--storage.tsdb.path=" + data.string(), "--web.listen-address=" + loopback(port),
                "--log.level=warn"};
      break;
  }
  o.log_path = log;
  o.die_with_parent = true;
  o.new_process_group = true;
  return o;
}

void write_prometheus_config(const LabConfig& c) {
  const auto dir = std::filesystem::absolute(c.dir) / "prometheus";
  std::string yml =
      "# Generated by the scalelab supervisor; targets follow the lab as it scales.\n"
      "global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\n";
  const auto rules = std::filesystem::path(SCALELAB_SOURCE_DIR) / "deploy" / "prometheus" / "rules";
  if (std::filesystem::is_directory(rules)) yml += "rule_files:\n  - " + (rules / "*.yml").string() + "\n";
  yml += "scrape_configs:\n";
  for (const char* job : {"app", "balancer", "faultproxy"}) {
    yml += std::string("  - job_name: ") + job + "\n    file_sd_configs:\n      - files: ['" +
           (dir / (std::string(job) + ".targets.json")).string() + "']\n        refresh_interval: 2s\n";
  }
  write_file(dir / "prometheus.yml", yml);
}

void write_prometheus_targets(const LabConfig& c, const std::map<std::string, std::uint16_t>& apps) {
  const auto dir = std::filesystem::absolute(c.dir) / "prometheus";
  auto group = [](std::uint16_t port, const std::string& instance) {
    return nlohmann::json{{"targets", {loopback(port)}}, {"labels", {{"instance", instance}}}};
  };
  nlohmann::json app_targets = nlohmann::json::array();
  for (const auto& [id, port] : apps) app_targets.push_back(group(port, id));
  write_file(dir / "app.targets.json", app_targets.dump(2));
  write_file(dir / "balancer.targets.json", nlohmann::json::array({group(c.ports.balancer_admin(), "balancer")}).dump(2));
  write_file(dir / "faultproxy.targets.json", nlohmann::json::array({group(c.ports.faults_api(), "faults")}).dump(2));
}

InstanceSlots instance_slots(const LabConfig& c) {
  const int own = app_concurrency(c);
  const int connections =
      positive_env(c.balancer_env, "SCALELAB_BALANCER_MAX_CONNS_PER_BACKEND").value_or(balancer_conns_per_backend(c));
  InstanceSlots slots;
  if (connections < own) {
    slots.slots = connections;
    slots.reason = std::to_string(connections) + " balancer connections";
  } else {
    slots.slots = own;
    slots.reason = std::to_string(own) + app_concurrency_unit(c);
  }
  const std::string model = app_model(c);
  if (model == "event-loop") slots.cpu_threads = 1;
  if (model == "event-loops" || model == "fibers")
    slots.cpu_threads = positive_env(c.app_env, "SCALELAB_LOOPS")
                            .value_or(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return slots;
}

}  // namespace scalelab::lab
