// The console's data source. The supervisor keeps no metrics, so once a second this
// thread asks it which components run (Supervisor::call with status(), thread-safe),
// scrapes every running instance's /metrics, the balancer's GET /admin/backends and
// the fault proxy's toxics, and turns them into a History frame and the balancer's
// current distribution. Only the balancer knows when it ejects or readmits an
// instance, so the sampler also writes those changes into the lab's event log
// (kinds eject, eject_end, lb_unhealthy, lb_healthy), where the console, `/events`
// and experiments see them beside kills and restarts.
//
// Lifetime: start() once; stop() (or the destructor) ends the thread within one
// scrape's timeouts. The Supervisor must outlive the Sampler. The thread makes no
// call before the supervisor's main loop has started (it would wait for it forever
// if the lab failed to start), and none after the lab is down.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "lab/console/distribution.hpp"
#include "lab/console/history.hpp"
#include "lab/supervisor/db_meter.hpp"
#include "lab/supervisor/supervisor.hpp"

namespace scalelab::console {

class Sampler {
 public:
  static constexpr auto kInterval = std::chrono::seconds(1);
  // The distribution the page shows as "now" spans this many seconds.
  static constexpr double kShareWindow = 5.0;

  Sampler(lab::Supervisor& supervisor, History& history);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void start();
  void stop();

  // The balancer's GET /admin/backends as last seen, each backend with "recent_rps"
  // and "recent_share" (over kShareWindow; share null when nothing was answered), and
  // "t"; null while the balancer does not answer.
  nlohmann::json balancer() const;
  // The fault proxy's GET /proxies as last seen; null while it does not answer.
  nlohmann::json faults() const;
  // {"t": when the last sample was taken, "took_ms", "lab_down": bool}.
  nlohmann::json health() const;

 private:
  void loop();
  void sample_once();
  void sample_apps(const nlohmann::json& status, Frame& frame);
  void sample_balancer(bool running, Frame& frame);
  void sample_faults(bool running);
  void sample_database(bool running, Frame& frame);
  void note_backend_changes(const nlohmann::json& backends);

  lab::Supervisor& supervisor_;
  const lab::Ports ports_;  // copied: the supervisor's config changes on its own thread
  History& history_;
  std::thread thread_;

  // Only the sampler thread touches these.
  struct Scrape {
    double t;
    AppCounters counters;
  };
  std::map<std::string, Scrape> last_scrape_;
  std::optional<lab::DbMeter> db_meter_;  // made when PostgreSQL is first seen running
  Distribution distribution_;
  struct BackendSeen {
    bool ejected;
    std::string check_state;
  };
  std::map<std::string, BackendSeen> backends_seen_;

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool lab_down_ = false;
  nlohmann::json balancer_;
  nlohmann::json faults_;
  double last_t_ = 0;
  double took_ms_ = 0;
};

}  // namespace scalelab::console
