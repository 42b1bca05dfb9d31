#include "lab/supervisor/launcher.hpp"

#include <signal.h>
#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "lab/supervisor/control_api.hpp"
#include "lab/supervisor/lab_client.hpp"
#include "lab/supervisor/log_tail.hpp"
#include "lab/supervisor/run_dir.hpp"
#include "lab/supervisor/spawn_specs.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::lab {
namespace {

// Why the supervisor stopped, from its log.
std::string last_words(const std::filesystem::path& dir) {
  const std::string line = last_error_line(dir / "supervisor.log");
  return line.empty() ? "no output (see " + (dir / "supervisor.log").string() + ")" : line;
}

// The components of `status` that ended while the lab was starting (an exit, or a spawn
// that failed), described by the first of them in its own words: "app-1
// (127.0.0.1:8091) exited during start-up (exit 2): scalelab-app: --workers: ... (also:
// app-2)". nullopt when none did.
std::optional<std::string> startup_failure(const nlohmann::json& status) {
  std::string first;
  std::vector<std::string> others;
  for (const auto& c : status["components"]) {
    const std::string state = c["state"], last_exit = c.value("last_exit", ""), id = c["id"];
    const bool ended = state == "down" || state == "killed" || !last_exit.empty() || c.value("restarts", 0) > 0;
    if (!ended) continue;
    if (!first.empty()) {
      others.push_back(id);
      continue;
    }
    first = id + " (" + c.value("address", "") + ")" +
            (last_exit.empty() ? " could not start" : " exited during start-up (" + last_exit + ")");
    std::string why = c.value("last_error", "");
    if (why.empty()) why = c.value("detail", "");
    if (!why.empty()) first += ": " + why;
  }
  if (first.empty()) return std::nullopt;
  if (!others.empty()) {
    first += " (also:";
    for (const auto& id : others) first += " " + id;
    first += ")";
  }
  return first;
}

// Brings a lab that failed to start down, so `up` leaves nothing behind: SIGTERM makes
// the supervisor stop every component as `scalelab down` does; one that does not
// finish in time is killed, its children die with it (PR_SET_PDEATHSIG), and what is
// left of it is cleaned up. Returns how it ended, for the message.
std::string tear_down(process::Process& supervisor, const std::filesystem::path& dir) {
  const auto ended = supervisor.stop(std::chrono::seconds(30));
  if (!ended.signaled) return "the lab has been brought down";
  clean_up_stale(dir);
  return "the lab has been brought down (its supervisor did not stop within 30 s and was killed)";
}

}  // namespace

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

int run_supervisor(const std::filesystem::path& dir, const std::vector<ApiExtension>& extensions) {
  log::init("scalelab-supervisor");
  log::write_in_background();
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    const LabConfig config = read_lab_config(dir);
    RunDirLock lock(dir);
    if (int stale = clean_up_stale(dir); stale > 0)
      log::warn("killed processes left by a previous supervisor", {{"count", stale}});
    require_free_ports(config);
    // initdb (a second or more) before the control API answers: `up` waits for the API
    // anyway, and the supervisor's loop, which answers /status, never blocks on it.
    if (config.database) prepare_postgres(config);
    Supervisor supervisor(config);
    ControlApi api(supervisor);
    for (const auto& extend : extensions) extend(api.server(), supervisor);
    api.start(config.ports.supervisor());
    log::info("supervisor listening", {{"address", "127.0.0.1:" + std::to_string(config.ports.supervisor())},
                                       {"dir", std::filesystem::absolute(dir).string()}});
    std::thread signals([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      if (sig != SIGUSR1) {
        log::info("stop signal: bringing the lab down", {{"signal", process::signal_name(sig)}});
        supervisor.request_down();
      }
    });
    const int code = supervisor.run();
    ::kill(::getpid(), SIGUSR1);  // releases the signal thread if no signal came
    signals.join();
    api.stop();
    std::error_code ignored;
    std::filesystem::remove(dir / "state.json", ignored);  // nothing is left to clean up
    remove_postgres_data(config);                             // the lab's database lives as long as the lab
    lock.release();
    return code;
  } catch (const std::exception& e) {
    log::error("supervisor cannot run", {{"cause", e.what()}});
    return 1;
  }
}

nlohmann::json start_lab(LabConfig config, const std::string& scalelab_exe, std::chrono::milliseconds timeout,
                         const std::function<void(const nlohmann::json&)>& progress) {
  for (const auto& kv : config.balancer_env)
    if (auto refusal = refused_balancer_env(kv.first)) throw std::invalid_argument(*refusal);
  if (auto pid = running_supervisor(config.dir))
    throw std::runtime_error("a lab is already running in " + config.dir.string() + " (supervisor pid " +
                             std::to_string(*pid) + "); `scalelab down` first, or use another --dir");
  require_free_ports(config);
  config.id = ids::random_token(9);
  std::filesystem::create_directories(config.dir / "logs");
  write_lab_config(config);
  std::error_code ignored;
  std::filesystem::remove(config.dir / "supervisor.log", ignored);
  process::SpawnOptions o;
  o.argv = {scalelab_exe, "--dir", std::filesystem::absolute(config.dir).string(), "supervise"};
  o.log_path = (config.dir / "supervisor.log").string();
  o.die_with_parent = false;  // it is a daemon: it outlives this command
  o.new_session = true;
  process::Process supervisor = process::Process::spawn(o);

  // Every way out but success and the timeout takes the lab down (the supervisor's
  // Process kills it if nothing else did), and the message says so.
  auto stopped = [&](const process::ExitStatus& exited) {
    return std::runtime_error("the supervisor stopped (" + exited.describe() + "): " + last_words(config.dir));
  };
  auto failed = [&](const std::string& why) {
    const std::string outcome = tear_down(supervisor, config.dir);
    return std::runtime_error(why + "; " + outcome + " (logs in " + (config.dir / "logs").string() + ")");
  };
  LabClient client(config, std::chrono::seconds(5));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto reachable = [&] {
    try {
      return client.reachable();
    } catch (const HttpError& another_lab) {  // our supervisor cannot have bound the port
      throw failed(another_lab.what());
    }
  };
  while (!reachable()) {
    if (auto exited = supervisor.poll()) throw stopped(*exited);
    if (std::chrono::steady_clock::now() > deadline) throw failed("the supervisor did not start in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  nlohmann::json status;
  while (true) {
    try {
      status = client.status();
    } catch (const HttpError& e) {
      if (auto exited = supervisor.wait_for(std::chrono::seconds(1))) throw stopped(*exited);
      throw failed(e.what());
    }
    if (progress) progress(status);
    if (all_ready(status)) break;
    if (auto failure = startup_failure(status)) throw failed(*failure);
    if (auto exited = supervisor.poll()) throw stopped(*exited);
    if (std::chrono::steady_clock::now() > deadline) {
      std::string waiting;
      for (const auto& c : status["components"])
        if (c["state"] != "ready")
          waiting += (waiting.empty() ? "" : ", ") + c["id"].get<std::string>() + " (" + c["state"].get<std::string>() +
                     (c["detail"].get<std::string>().empty() ? "" : ": " + c["detail"].get<std::string>()) + ")";
      supervisor.detach();  // what the message says: it stays up to be looked at
      throw std::runtime_error("not ready in time: " + waiting + "; the lab is still running (scalelab status, scalelab down)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  supervisor.detach();
  return status;
}

bool stop_lab(const std::filesystem::path& dir, std::chrono::milliseconds timeout) {
  const auto pid = running_supervisor(dir);
  if (!pid) return true;
  LabClient client(dir, std::chrono::seconds(5));
  try {
    client.down();
  } catch (const HttpError&) {
    if (*pid > 0) ::kill(*pid, SIGTERM);  // the API is gone: the signal does the same
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running_supervisor(dir)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace scalelab::lab
