// Where the autoscaler's numbers come from: one value per ready instance, read at each
// sync. Requests in progress and requests per second are what the balancer counts per
// backend (its admin API), CPU is the instance's CPU seconds per second from
// /proc/<pid>/stat, and a custom metric is read from the instance's own /metrics.
// A rate needs two readings, so an instance's first sync gives no value for it; the
// autoscaler counts such an instance as silent, as Kubernetes does a pod whose metrics
// are missing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/supervisor/autoscaler.hpp"
#include "lab/supervisor/proc_readings.hpp"

namespace scalelab::lab {

class AutoscaleMetrics {
 public:
  struct Instance {
    std::string id;          // the balancer's backend id (app-N)
    int pid = 0;
    std::uint16_t port = 0;  // where its /metrics is
  };

  // The metric of `policy` for each of `instances`, in their order; an instance with no
  // value (yet) is left out. `backends` is the balancer's GET /admin/backends answer,
  // or nullopt when it could not be read (then in_flight and rps give nothing).
  std::vector<double> sample(const AutoscalePolicy& policy, const std::vector<Instance>& instances,
                             const std::optional<nlohmann::json>& backends, Clock::time_point now);

  // What the balancer says of demand as a whole, for scale to zero: whether any request
  // arrived since the previous call (its received counter moved, or requests are in
  // flight or held), and how many requests it holds waiting for an instance. When the
  // balancer could not be read, requests count as seen: a blind autoscaler never
  // removes the last instance.
  struct Demand {
    bool requests_seen = true;
    double waiting = 0;
  };
  Demand demand(const std::optional<nlohmann::json>& backends, Clock::time_point now);

  // Forgets the previous readings (a new policy, another metric).
  void reset() { last_.clear(); }

 private:
  // The per-second rate of `counter` since this key's previous reading, if there was one.
  std::optional<double> rate(const std::string& key, double counter, Clock::time_point now);

  struct Reading {
    double counter = 0;
    Clock::time_point at{};
  };
  std::map<std::string, Reading> last_;
};

// An instance's /metrics on 127.0.0.1:`port`, or "" when it did not answer within a
// short bound (300 ms to connect, 500 ms to read: the autoscaler's sync runs on the
// supervisor's main loop).
std::string scrape_metrics(std::uint16_t port);

// The sum of every sample of `name` in a Prometheus text exposition (all its label
// sets), or nullopt when it has none.
std::optional<double> sum_of_metric(std::string_view exposition, std::string_view name);

}  // namespace scalelab::lab
