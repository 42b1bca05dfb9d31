// The supervisor: one background process per lab that owns every other process of it.
// It spawns redis-server, s3rver, the fault proxy, the app instances, the balancer (and
// Prometheus on request), watches their readiness, reaps every exit and records it as
// an event, registers instances with the balancer once they are ready, restarts what
// the restart policy says to, and carries out the commands of its control API: kill,
// pause, resume, restart, scale, toggle, fault, down.
//
// Threading: one main loop owns all components, and every child is spawned from it,
// because PR_SET_PDEATHSIG fires when the spawning *thread* exits; the control API's
// threads hand commands to the main loop through call(). Readiness probes run on
// std::async threads and report back through futures.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_error.hpp"
#include "lab/supervisor/autoscale_metrics.hpp"
#include "lab/supervisor/autoscaler.hpp"
#include "lab/supervisor/balancer_admin.hpp"
#include "lab/supervisor/component.hpp"
#include "lab/supervisor/event_log.hpp"
#include "lab/supervisor/lab_config.hpp"

namespace scalelab::lab {

class Supervisor {
 public:
  explicit Supervisor(LabConfig config);
  ~Supervisor();

  // Starts the lab and runs until it has been brought down. Returns the exit code.
  int run();

  // Runs `command` on the main loop and returns its result. Thread-safe. Throws what
  // the command throws (HttpError for refusals).
  nlohmann::json call(std::function<nlohmann::json(Supervisor&)> command);

  // Asks the main loop to bring the lab down (thread-safe, returns at once).
  void request_down();

  EventLog& events() { return events_; }
  const LabConfig& config() const { return config_; }

  // The commands; main-loop only (through call()).
  nlohmann::json status();
  nlohmann::json kill(const std::string& id, int signal);
  nlohmann::json pause(const std::string& id);
  nlohmann::json resume(const std::string& id);
  nlohmann::json restart(const std::string& id);
  nlohmann::json scale(int instances);  // refused (409) while the autoscaler decides
  nlohmann::json autoscale_show();
  nlohmann::json autoscale_set(const AutoscalePolicy& policy);
  nlohmann::json autoscale_off();
  // The balancer holds `waiting` requests and has no instance to send them to (scale
  // to zero): at zero instances, decide now instead of at the next sync.
  nlohmann::json activate(int waiting);
  nlohmann::json toggle(const std::string& concern, const std::string& mode);
  nlohmann::json fault_add(const std::string& link, const nlohmann::json& toxic);
  nlohmann::json fault_clear(const std::string& link);
  nlohmann::json fault_remove(const std::string& link, const std::string& name);
  nlohmann::json fault_list();
  nlohmann::json down();

 private:
  Component& find(const std::string& id);
  Component& add_component(Kind kind, int number = 0);
  void spawn(Component& c);

  void tick();
  void run_commands();
  void reap(Component& c);
  void on_exit(Component& c, const process::ExitStatus& status);
  void check_readiness(Component& c);
  void on_ready_change(Component& c, const ProbeResult& result);
  void sync_balancer();
  nlohmann::json resize(int instances, const std::string& why);
  // One decision at its sync period, or at once for an activation (the requests held).
  void autoscale_sync(Clock::time_point now, std::optional<int> activation = std::nullopt);
  void sync_state_modes();
  void advance_scale_in(Component& c);
  void advance_shutdown();
  void write_state_file();
  void update_prometheus_targets();
  nlohmann::json lab_state_json() const;
  std::vector<Component*> apps();

  LabConfig config_;
  EventLog events_;
  BalancerAdmin balancer_;
  std::vector<std::unique_ptr<Component>> components_;
  Clock::time_point started_at_;
  std::int64_t started_unix_ms_ = 0;

  enum class Phase { running, stopping_apps, stopping_balancer, stopping_rest, finished };
  Phase phase_ = Phase::running;
  Clock::time_point phase_deadline_{};
  // The autoscaler (supervisor_autoscale.cpp), when config_.autoscale is set.
  std::optional<Autoscaler> autoscaler_;
  AutoscaleMetrics autoscale_metrics_;
  Clock::time_point next_autoscale_{};
  nlohmann::json last_decision_;  // null until the first sync
  bool state_dirty_ = true;
  bool targets_dirty_ = true;

  struct Command {
    std::function<nlohmann::json(Supervisor&)> run;
    std::promise<nlohmann::json> result;
  };
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Command>> commands_;
  bool finished_ = false;  // under mu_: no more commands are taken
};

}  // namespace scalelab::lab
