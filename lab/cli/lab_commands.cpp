// The lab's lifecycle commands: up, down, status, scale, kill, pause, resume, restart,
// toggle and logs. They talk to the lab's supervisor through LabClient.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

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

int read_log(const std::filesystem::path& dir, const std::string& id, bool follow) {
  const auto path = id == "supervisor" ? dir / "supervisor.log" : dir / "logs" / (id + ".log");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("no log for '" + id + "' in " + dir.string() + " (ids: scalelab status)", 2);
  std::string chunk(64 * 1024, '\0');
  while (true) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = in.gcount();
    if (n > 0) {
      std::fwrite(chunk.data(), 1, static_cast<std::size_t>(n), stdout);
      std::fflush(stdout);
      continue;
    }
    if (!follow) return 0;
    in.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

void add_lab_commands(CLI::App& root, Context& ctx) {
  // --- up ---------------------------------------------------------------------------
  auto up = std::make_shared<lab::LabConfig>();
  auto up_state = std::make_shared<std::string>("shared");
  auto up_restart = std::make_shared<std::string>("never");
  auto up_env = std::make_shared<std::vector<std::string>>();
  auto up_balancer_env = std::make_shared<std::vector<std::string>>();
  auto up_timeout = std::make_shared<int>(60);
  auto* up_cmd = root.add_subcommand("up", "Start a lab: redis, s3rver, fault proxies, N app instances and the balancer");
  auto base = std::make_shared<int>(8080);
  config::option(*up_cmd, "--instances,-n", "SCALELAB_INSTANCES", up->instances, "App instances")
      ->check(CLI::Range(1, lab::Ports::kMaxInstances));
  config::option(*up_cmd, "--state", "SCALELAB_STATE", *up_state, "Where state lives: shared or local")
      ->check(CLI::IsMember({"shared", "local"}));
  config::option(*up_cmd, "--lb", "SCALELAB_LB", up->algorithm, "Balancing: round_robin, least_conn or sticky")
      ->check(CLI::IsMember({"round_robin", "least_conn", "sticky"}));
  config::option(*up_cmd, "--base-port", "SCALELAB_BASE_PORT", *base, "First of the lab's ports (it uses P..P+" + std::to_string(lab::Ports::kSpan) + ")")
      ->check(CLI::Range(1024, 65535 - lab::Ports::kSpan));
  up_cmd->add_flag("--prometheus", up->prometheus, "Also run Prometheus (Debian's package) scraping every target")
      ->envname("SCALELAB_PROMETHEUS");
  config::option(*up_cmd, "--restart", "SCALELAB_RESTART", *up_restart, "Restart policy: never or always")
      ->check(CLI::IsMember({"never", "always"}));
  auto delay = std::make_shared<int>(1000);
  config::option(*up_cmd, "--restart-delay-ms", "SCALELAB_RESTART_DELAY_MS", *delay, "Delay before a restart")
      ->check(CLI::Range(0, 600000));
  up_cmd->add_option("--app-env", *up_env, "KEY=VALUE for every instance, e.g. SCALELAB_RATE_LIMIT=20 (repeatable)");
  up_cmd->add_option("--balancer-env", *up_balancer_env,
                     "KEY=VALUE for the balancer, e.g. SCALELAB_BALANCER_TRY_TIMEOUT_MS=1000 (repeatable)");
  config::option(*up_cmd, "--timeout", "SCALELAB_UP_TIMEOUT", *up_timeout, "Seconds to wait for every component to be ready")
      ->check(CLI::Range(1, 3600));
  up_cmd->callback([&ctx, up, up_state, up_restart, up_env, up_balancer_env, up_timeout, base, delay] {
    ctx.run([&] {
      lab::LabConfig c = *up;
      c.dir = ctx.dir;
      c.ports.base = static_cast<std::uint16_t>(*base);
      c.state = *up_state;
      c.restart = lab::parse_restart_policy(*up_restart);
      c.restart_delay = std::chrono::milliseconds(*delay);
      c.binaries = lab::executable_dir();
      for (auto [flag, given, env] : {std::tuple{"--app-env", up_env.get(), &c.app_env},
                                      std::tuple{"--balancer-env", up_balancer_env.get(), &c.balancer_env}}) {
        for (const auto& kv : *given) {
          const auto eq = kv.find('=');
          if (eq == std::string::npos || eq == 0)
            return fail(std::string(flag) + " wants KEY=VALUE (got '" + kv + "')", 2);
          (*env)[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
      }
      if (c.prometheus && !process::find_executable("prometheus"))
        return fail("--prometheus needs Debian's prometheus package (apt-get install prometheus)", 1);
      const auto start = std::chrono::steady_clock::now();
      bool tty = ::isatty(1);
      auto status = lab::start_lab(c, lab::executable_dir() + "/scalelab", std::chrono::seconds(*up_timeout),
                                   [tty](const json& s) {
                                     if (!tty) return;
                                     int ready = 0, total = 0;
                                     for (const auto& comp : s["components"]) ++total, ready += comp["state"] == "ready";
                                     std::printf("\rstarting: %d of %d ready", ready, total);
                                     std::fflush(stdout);
                                   });
      if (tty) std::printf("\r\033[K");
      print_urls(c, status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      return 0;
    });
  });

  // --- down -------------------------------------------------------------------------
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

  // --- status -----------------------------------------------------------------------
  auto as_json = std::make_shared<bool>(false);
  auto* status_cmd = root.add_subcommand("status", "Every component: pid, address, state, uptime, restarts, state mode");
  status_cmd->add_flag("--json", *as_json, "Print the supervisor's JSON");
  status_cmd->callback([&ctx, as_json] {
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

  // --- scale ------------------------------------------------------------------------
  auto target = std::make_shared<int>(0);
  auto* scale_cmd = root.add_subcommand("scale", "Add or remove app instances (removed ones are drained first)");
  scale_cmd->add_option("instances", *target, "How many instances to run")->required()->check(CLI::Range(1, lab::Ports::kMaxInstances));
  scale_cmd->callback([&ctx, target] {
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

  // --- kill, pause, resume, restart -----------------------------------------------------
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
  for (const char* verb : {"pause", "resume", "restart"}) {
    const std::string name = verb;
    const char* help = name == "pause"    ? "Freeze a component (SIGSTOP)"
                       : name == "resume" ? "Thaw a paused component (SIGCONT)"
                                          : "Stop a component (SIGTERM) and start it again; waits until it is ready";
    auto* cmd = root.add_subcommand(name, help);
    auto target_id = std::make_shared<std::string>();
    cmd->add_option("id", *target_id, "Component id, e.g. app-2")->required();
    cmd->callback([&ctx, name, target_id] {
      ctx.run([&] {
        lab::LabClient client(ctx.dir);
        if (name == "pause") {
          client.pause(*target_id);
          std::printf("%s paused (SIGSTOP)\n", target_id->c_str());
        } else if (name == "resume") {
          client.resume(*target_id);
          std::printf("%s resumed (SIGCONT)\n", target_id->c_str());
        } else {
          int before = 0;
          const json before_status = client.status();  // kept alive for the loop
          for (const auto& c : before_status["components"])
            if (c["id"] == *target_id) before = c["restarts"];
          client.restart(*target_id);
          auto status = client.wait_for(
              [&](const json& s) {
                for (const auto& c : s["components"])
                  if (c["id"] == *target_id) return c["restarts"].get<int>() > before && c["state"] == "ready";
                return false;
              },
              std::chrono::seconds(30));
          for (const auto& c : status["components"])
            if (c["id"] == *target_id) {
              if (c["state"] != "ready") return fail(*target_id + " restarted but is " + c["state"].get<std::string>(), 1);
              std::printf("%s restarted (pid %d) and ready\n", target_id->c_str(), c["pid"].get<int>());
            }
        }
        return 0;
      });
    });
  }

  // --- toggle -----------------------------------------------------------------------
  auto words = std::make_shared<std::vector<std::string>>();
  auto* toggle_cmd = root.add_subcommand("toggle", "Flip where state lives, on every instance: toggle [CONCERN] shared|local");
  toggle_cmd->add_option("args", *words, "[sessions|cache|uploads|ratelimit] shared|local")->required()->expected(1, 2);
  toggle_cmd->callback([&ctx, words] {
    ctx.run([&] {
      const std::string concern = words->size() == 2 ? (*words)[0] : "";
      const std::string mode = words->back();
      auto r = lab::LabClient(ctx.dir).toggle(concern, mode);
      std::printf("state now %s\n", r["state"].dump().c_str());
      for (const auto& [app, result] : r["instances"].items()) std::printf("  %s: %s\n", app.c_str(), result.get<std::string>().c_str());
      return 0;
    });
  });

  // --- logs -------------------------------------------------------------------------
  auto log_id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto* logs_cmd = root.add_subcommand("logs", "Print a component's log (JSON lines); `supervisor` for the supervisor's");
  logs_cmd->add_option("id", *log_id, "Component id, e.g. app-2, balancer, redis")->required();
  logs_cmd->add_flag("--follow,-f", *follow, "Keep printing as it grows");
  logs_cmd->callback([&ctx, log_id, follow] { ctx.run([&] { return read_log(ctx.dir, *log_id, *follow); }); });
}

void add_supervise_command(CLI::App& root, Context& ctx) {
  auto* cmd = root.add_subcommand("supervise", "Run a lab's supervisor in the foreground (scalelab up starts it for you)");
  cmd->group("");  // internal: hidden from the command list
  // The live console rides on the supervisor's control API (`scalelab console`).
  cmd->callback([&ctx] { ctx.exit_code = lab::run_supervisor(ctx.dir_option, {console::attach_console}); });
}

}  // namespace scalelab::cli
