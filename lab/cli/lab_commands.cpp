// The lab's lifecycle commands: up and down; status; scale; kill, pause, resume and
// restart; toggle. One function per group; they talk to the lab's supervisor through
// LabClient (`up` and `down` through the launcher, which starts and stops it).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>

#include "common/config.hpp"
#include "common/process.hpp"
#include "lab/cli/cli.hpp"
#include "lab/console/console.hpp"
#include "lab/supervisor/launcher.hpp"
#include "lab/supervisor/run_dir.hpp"

namespace scalelab::cli {
namespace {

using nlohmann::json;

std::string url(std::uint16_t port, const std::string& path = "/") { return "http://127.0.0.1:" + std::to_string(port) + path; }

void print_urls(const lab::LabConfig& c, const json& status, double seconds) {
  const auto& p = c.ports;
  std::printf("lab up in %.1f s: %d instances, state %s, %s, restart %s (dir %s)\n", seconds, c.instances,
              c.state.c_str(), c.algorithm.c_str(), lab::to_string(c.restart).c_str(), c.dir.c_str());
  std::vector<std::vector<std::string>> rows{{"  service", url(p.balancer()), "the app, through scalelab-balancer"},
                                             {"  balancer", url(p.balancer_admin(), "/admin/backends"), "admin API, /metrics"},
                                             {"  supervisor", url(p.supervisor(), "/status"), "control API (/events, /logs/ID)"}};
  for (const auto& comp : status["components"])
    if (comp["kind"] == "app")
      rows.push_back({"  " + comp["id"].get<std::string>(), "http://" + comp["address"].get<std::string>() + "/",
                      "pid " + std::to_string(comp["pid"].get<int>()) + ", admin API on " +
                          comp.value("admin_address", std::string("-"))});
  rows.push_back({"  redis", "127.0.0.1:" + std::to_string(p.redis()), "apps use the fault proxy on 127.0.0.1:" + std::to_string(p.redis_proxy())});
  rows.push_back({"  s3", url(p.s3()), "s3rver; apps use the fault proxy on 127.0.0.1:" + std::to_string(p.s3_proxy())});
  rows.push_back({"  faults", url(p.faults_api(), "/proxies"), "the fault proxy's API"});
  if (c.database)
    rows.push_back({"  postgres", lab::instance_database_url(c),
                    "max_connections " + std::to_string(c.db_max_connections) +
                        (c.db_pooler == "pgbouncer" ? ", through pgbouncer (transaction pooling)" : ", shared by every pool")});
  if (c.prometheus) rows.push_back({"  prometheus", url(p.prometheus()), ""});
  print_table(rows);
  std::printf("next: scalelab status | scalelab kill app-2 --signal KILL | scalelab fault redis latency latency=200 | scalelab down\n");
}

void print_status(const json& status) {
  const auto& lab = status["lab"];
  std::printf("lab %s: base port %d, state %s, %s, restart %s, up %s\n", lab["dir"].get<std::string>().c_str(),
              lab["base_port"].get<int>(), lab["state_now"].dump().c_str(), lab["algorithm"].get<std::string>().c_str(),
              lab["restart"].get<std::string>().c_str(), human_duration(lab["uptime_s"].get<double>()).c_str());
  std::vector<std::vector<std::string>> rows{{"ID", "KIND", "PID", "ADDRESS", "STATE", "UPTIME", "RESTARTS", "MODE", "DETAIL"}};
  for (const auto& c : status["components"]) {
    const int pid = c["pid"].get<int>();
    std::string detail = c["detail"].get<std::string>();
    if (detail.empty() && !c["last_exit"].get<std::string>().empty()) detail = "last exit: " + c["last_exit"].get<std::string>();
    rows.push_back({c["id"], c["kind"], pid > 0 ? std::to_string(pid) : "-", c["address"], c["state"],
                    human_duration(c["uptime_s"].get<double>()), std::to_string(c["restarts"].get<int>()),
                    c.value("state_mode", std::string("")), detail});
  }
  print_table(rows);
}

std::vector<json> apps_of(const json& status) {
  std::vector<json> out;
  for (const auto& c : status["components"])
    if (c["kind"] == "app") out.push_back(c);
  return out;
}


struct UpFlags {
  lab::LabConfig config;
  std::string state = "shared";
  std::string restart = "never";
  int base_port = 8080;
  int restart_delay_ms = 1000;
  int timeout_s = 60;
  std::string app_model;  // empty: the app's default (pool)
  std::vector<std::string> app_env, balancer_env;
  std::string autoscale;
  std::string database = "on";
};

void add_up_flags(CLI::App& cmd, UpFlags& f) {
  using config::option;
  option(cmd, "--instances,-n", "SCALELAB_INSTANCES", f.config.instances,
         "App instances (0 starts at zero: needs --autoscale with min=0)")
      ->check(CLI::Range(0, lab::Ports::kMaxInstances));
  option(cmd, "--state", "SCALELAB_STATE", f.state, "Where state lives: shared or local")
      ->check(CLI::IsMember({"shared", "local"}));
  option(cmd, "--lb", "SCALELAB_LB", f.config.algorithm, "Balancing: round_robin, least_conn or sticky")
      ->check(CLI::IsMember({"round_robin", "least_conn", "sticky"}));
  option(cmd, "--base-port", "SCALELAB_BASE_PORT", f.base_port,
         "First of the lab's ports (it uses P..P+" + std::to_string(lab::Ports::kSpan) + ")")
      ->check(CLI::Range(1024, 65535 - lab::Ports::kSpan));
  cmd.add_flag("--prometheus", f.config.prometheus, "Also run Prometheus (Debian's package) scraping every target")
      ->envname("SCALELAB_PROMETHEUS");
  option(cmd, "--database", "SCALELAB_DATABASE", f.database,
         "on: run PostgreSQL 15, the catalog's source of truth and the orders; off: the catalog stays in Redis")
      ->check(CLI::IsMember({"on", "off"}));
  option(cmd, "--db-max-connections", "SCALELAB_DB_MAX_CONNECTIONS", f.config.db_max_connections,
         "PostgreSQL's max_connections, 3 of them kept for the lab: the budget every instance's pool shares "
         "(pool size: --app-env SCALELAB_DB_POOL=N)")
      ->check(CLI::Range(5, 10000));
  option(cmd, "--db-pooler", "SCALELAB_DB_POOLER", f.config.db_pooler,
         "none, or pgbouncer: the instances connect to pgbouncer (transaction pooling), which holds few server connections")
      ->check(CLI::IsMember({"none", "pgbouncer"}));
  option(cmd, "--restart", "SCALELAB_RESTART", f.restart, "Restart policy: never or always")
      ->check(CLI::IsMember({"never", "always"}));
  option(cmd, "--restart-delay-ms", "SCALELAB_RESTART_DELAY_MS", f.restart_delay_ms, "Delay before a restart")
      ->check(CLI::Range(0, 600000));
  option(cmd, "--app-model", "SCALELAB_APP_MODEL", f.app_model,
         "The instances' concurrency model: pool (32 workers), thread-per-connection (a thread per connection), "
         "event-loop (one thread, a fiber per connection), event-loops (a loop per core) or fibers (M:N: one "
         "loop run by a thread per core); "
         "the balancer's connections per instance follow it")
      ->check(CLI::IsMember({"pool", "thread-per-connection", "event-loop", "event-loops", "fibers"}));
  cmd.add_option("--app-env", f.app_env, "KEY=VALUE for every instance, e.g. SCALELAB_RATE_LIMIT=20 (repeatable)");
  cmd.add_option("--balancer-env", f.balancer_env,
                 "KEY=VALUE for the balancer, e.g. SCALELAB_BALANCER_TRY_TIMEOUT_MS=1000 (repeatable; not what "
                 "--lb and the lab's ports set)");
  option(cmd, "--autoscale", "SCALELAB_AUTOSCALE", f.autoscale,
         "Let the autoscaler decide the count (the Kubernetes HPA algorithm), e.g. "
         "min=1,max=8,metric=rps,target=200; --instances is then the starting count, kept within min..max");
  option(cmd, "--timeout", "SCALELAB_UP_TIMEOUT", f.timeout_s, "Seconds to wait for every component to be ready")
      ->check(CLI::Range(1, 3600));
}

// KEY=VALUE words into `env`. Throws std::invalid_argument naming the flag and word.
void parse_env_words(const char* flag, const std::vector<std::string>& words, std::map<std::string, std::string>& env) {
  for (const auto& kv : words) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument(std::string(flag) + " wants KEY=VALUE (got '" + kv + "')");
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
}

int run_up(const UpFlags& f, const std::filesystem::path& dir) {
  lab::LabConfig c = f.config;
  c.dir = dir;
  c.ports.base = static_cast<std::uint16_t>(f.base_port);
  c.state = f.state;
  c.restart = lab::parse_restart_policy(f.restart);
  c.restart_delay = std::chrono::milliseconds(f.restart_delay_ms);
  c.binaries = lab::executable_dir();
  c.database = f.database == "on";
  if (!f.app_model.empty()) c.app_env["SCALELAB_APP_MODEL"] = f.app_model;
  parse_env_words("--app-env", f.app_env, c.app_env);
  parse_env_words("--balancer-env", f.balancer_env, c.balancer_env);
  if (!f.autoscale.empty()) {
    try {
      c.autoscale = lab::parse_autoscale_policy(f.autoscale);
    } catch (const std::invalid_argument& e) {
      return fail(std::string("--") + e.what(), 2);
    }
  }
  // Knative's initial-scale 0: nothing runs until the first request asks for it.
  if (c.instances == 0 && (!c.autoscale || c.autoscale->min_replicas > 0))
    return fail("--instances 0 starts the lab at zero, which needs --autoscale with min=0 (the first request then starts an instance)", 2);
  if (c.autoscale) c.instances = std::clamp(c.instances, c.autoscale->min_replicas, c.autoscale->max_replicas);
  if (c.prometheus && !process::find_executable("prometheus"))
    return fail("--prometheus needs Debian's prometheus package (apt-get install prometheus)", 1);
  const auto start = std::chrono::steady_clock::now();
  const bool tty = ::isatty(1);
  auto status = lab::start_lab(c, lab::executable_dir() + "/scalelab", std::chrono::seconds(f.timeout_s), [tty](const json& s) {
    if (!tty) return;
    int ready = 0, total = 0;
    for (const auto& comp : s["components"]) ++total, ready += comp["state"] == "ready";
    std::printf("\rstarting: %d of %d ready", ready, total);
    std::fflush(stdout);
  });
  if (tty) std::printf("\r\033[K");
  print_urls(c, status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}

// up and down.
void add_up_down_commands(CLI::App& root, Context& ctx) {
  auto up = std::make_shared<UpFlags>();
  auto* up_cmd = root.add_subcommand("up", "Start a lab: redis, s3rver, fault proxies, N app instances and the balancer");
  add_up_flags(*up_cmd, *up);
  up_cmd->callback([&ctx, up] { ctx.run([&] { return run_up(*up, ctx.dir); }); });

  auto* down_cmd = root.add_subcommand("down", "Stop the lab gracefully (apps drained first); leaves no process behind");
  down_cmd->callback([&ctx] {
    ctx.run([&] {
      if (!lab::running_supervisor(ctx.dir)) {
        const int stale = lab::clean_up_stale(ctx.dir);
        std::printf("no lab is running in %s%s\n", ctx.dir.c_str(),
                    stale > 0 ? (" (killed " + std::to_string(stale) + " leftover processes)").c_str() : "");
        return 0;
      }
      const auto start = std::chrono::steady_clock::now();
      if (!lab::stop_lab(ctx.dir, std::chrono::seconds(90))) return fail("the lab did not stop within 90 s", 1);
      std::printf("lab in %s is down (%.1f s); logs stay in %s/logs\n", ctx.dir.c_str(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), ctx.dir.c_str());
      return 0;
    });
  });
}

void add_status_command(CLI::App& root, Context& ctx) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand("status", "Every component: pid, address, state, uptime, restarts, state mode");
  cmd->add_flag("--json", *as_json, "Print the supervisor's JSON");
  cmd->callback([&ctx, as_json] {
    ctx.run([&] {
      if (!lab::running_supervisor(ctx.dir)) return fail("no lab is running in " + ctx.dir.string(), 1);
      auto status = lab::LabClient(ctx.dir).status();
      if (*as_json) {
        std::printf("%s\n", status.dump(2).c_str());
      } else {
        print_status(status);
      }
      return 0;
    });
  });
}

void add_scale_command(CLI::App& root, Context& ctx) {
  auto target = std::make_shared<int>(0);
  auto* cmd = root.add_subcommand("scale", "Add or remove app instances (removed ones are drained first)");
  cmd->add_option("instances", *target, "How many instances to run")->required()->check(CLI::Range(1, lab::Ports::kMaxInstances));
  cmd->callback([&ctx, target] {
    ctx.run([&] {
      lab::LabClient client(ctx.dir);
      auto answer = client.scale(*target);
      std::printf("scaling to %d: adding %s, removing %s\n", *target, answer["added"].dump().c_str(),
                  answer["removing"].dump().c_str());
      auto status = client.wait_for(
          [&](const json& s) {
            // Done when the count is right and nothing is still starting or draining
            // (an instance that was killed stays killed: scaling does not heal it).
            auto apps = apps_of(s);
            return static_cast<int>(apps.size()) == *target && std::none_of(apps.begin(), apps.end(), [](const json& a) {
                     return a["state"] == "starting" || a["state"] == "draining";
                   });
          },
          std::chrono::seconds(60));
      print_status(status);
      return static_cast<int>(apps_of(status).size()) == *target ? 0 : fail("the lab has not reached " + std::to_string(*target) + " instances yet", 1);
    });
  });
}

// Restarts `id` and waits until it is ready again.
int restart_and_wait(lab::LabClient& client, const std::string& id) {
  const json c = client.restart_and_wait(id, std::chrono::seconds(30));
  if (c["state"] != "ready") return fail(id + " restarted but is " + c["state"].get<std::string>(), 1);
  std::printf("%s restarted (pid %d) and ready\n", id.c_str(), c["pid"].get<int>());
  return 0;
}

// A subcommand that takes one component id and hands it to `action`.
void add_component_command(CLI::App& root, Context& ctx, const std::string& name, const std::string& help,
                           std::function<int(lab::LabClient&, const std::string&)> action) {
  auto id = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand(name, help);
  cmd->add_option("id", *id, "Component id, e.g. app-2")->required();
  cmd->callback([&ctx, id, action = std::move(action)] {
    ctx.run([&] {
      lab::LabClient client(ctx.dir);
      return action(client, *id);
    });
  });
}

// kill, pause, resume and restart: what happens to one component's process.
void add_process_commands(CLI::App& root, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto signal_name = std::make_shared<std::string>("KILL");
  auto* kill_cmd = root.add_subcommand("kill", "Send a signal to a component (an instance, redis, s3, faults or balancer)");
  kill_cmd->add_option("id", *id, "Component id, e.g. app-2")->required();
  kill_cmd->add_option("--signal,-s", *signal_name, "KILL, TERM or INT (or any signal name)")->capture_default_str();
  kill_cmd->callback([&ctx, id, signal_name] {
    ctx.run([&] {
      if (!process::parse_signal(*signal_name)) return fail("unknown signal '" + *signal_name + "'", 2);
      auto r = lab::LabClient(ctx.dir).kill(*id, *signal_name);
      std::printf("sent SIG%s to %s (pid %d)\n", r["signal"].get<std::string>().c_str(), id->c_str(), r["pid"].get<int>());
      return 0;
    });
  });
  add_component_command(root, ctx, "pause", "Freeze a component (SIGSTOP)", [](lab::LabClient& client, const std::string& c) {
    client.pause(c);
    std::printf("%s paused (SIGSTOP)\n", c.c_str());
    return 0;
  });
  add_component_command(root, ctx, "resume", "Thaw a paused component (SIGCONT)", [](lab::LabClient& client, const std::string& c) {
    client.resume(c);
    std::printf("%s resumed (SIGCONT)\n", c.c_str());
    return 0;
  });
  add_component_command(root, ctx, "restart", "Stop a component (SIGTERM) and start it again; waits until it is ready",
                        restart_and_wait);
}

void add_toggle_command(CLI::App& root, Context& ctx) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* cmd = root.add_subcommand("toggle", "Flip where state lives, on every instance: toggle [CONCERN] shared|local");
  cmd->add_option("args", *words, "[sessions|cache|uploads|ratelimit] shared|local")->required()->expected(1, 2);
  cmd->callback([&ctx, words] {
    ctx.run([&] {
      const std::string concern = words->size() == 2 ? (*words)[0] : "";
      const std::string mode = words->back();
      auto r = lab::LabClient(ctx.dir).toggle(concern, mode);
      std::printf("state now %s\n", r["state"].dump().c_str());
      for (const auto& [app, result] : r["instances"].items()) std::printf("  %s: %s\n", app.c_str(), result.get<std::string>().c_str());
      return 0;
    });
  });
}

}  // namespace

void add_lab_commands(CLI::App& root, Context& ctx) {
  add_up_down_commands(root, ctx);
  add_status_command(root, ctx);
  add_scale_command(root, ctx);
  add_process_commands(root, ctx);
  add_toggle_command(root, ctx);
}

void add_supervise_command(CLI::App& root, Context& ctx) {
  auto* cmd = root.add_subcommand("supervise", "Run a lab's supervisor in the foreground (scalelab up starts it for you)");
  cmd->group("");  // internal: hidden from the command list
  // The live console rides on the supervisor's control API (`scalelab console`).
  cmd->callback([&ctx] { ctx.exit_code = lab::run_supervisor(ctx.dir_option, {console::attach_console}); });
}

}  // namespace scalelab::cli
