// What the lab's instances say about their connections during a run, for its journal.
// First the connection churn (lab.redis_connections_opened and
// lab.db_connections_opened): how many connections to Redis and to the database the
// lab's instances opened while the load ran. Each instance counts them in
// app_redis_connections_opened_total and db_connections_opened_total; the meter reads
// every running instance once a second and adds up what each counter grew by. An instance
// first seen after the first reading (started, or restarted: a new pid) counts from 0,
// so a lab that scales or restarts loses nothing but the last second of an instance
// that died. One instance with a shared connection opens one; with
// SCALELAB_REDIS_CONNECTIONS=per_request, one per store call; likewise for the database
// with SCALELAB_DB_CONNECT=per-request.
// Then, from the same scrape, the instances' database pools at that second (connections
// open, requests waiting), which the runner sets beside the server's count, how many
// instances were ready (the second's ceiling, lab/journal/ceiling.hpp), and what their
// processes held: memory and threads, what a concurrency model costs.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/supervisor/proc_readings.hpp"

namespace scalelab::experiment {

class InstanceMeter {
 public:
  // Reads every app in `lab_status` (the supervisor's GET /status) that runs. Call it
  // once when the load starts, then once a second.
  void read(const nlohmann::json& lab_status);
  enum Counter { redis, database, kCounters };
  // What the counter grew by, summed over instances, since the first read.
  double opened(Counter counter = redis) const;
  // Whether any instance reported the counter.
  bool measured(Counter counter = redis) const { return !series_[counter].empty(); }
  // The instances' database pools at the last read, summed (db_connections_open,
  // db_pool_waiting); nullopt when no instance has a database.
  std::optional<double> pool_open() const { return pool_open_; }
  std::optional<double> pool_waiting() const { return pool_waiting_; }
  // The instances serving at the last read: ready, or unready only for a failed check.
  int serving_instances() const { return serving_; }
  // The running instances' resident memory and threads at the last read, summed
  // (/proc); nullopt when none could be read.
  std::optional<lab::ProcessFootprint> footprint() const { return footprint_; }

 private:
  struct Series {
    double first = 0, last = 0;
  };
  std::map<std::string, Series> series_[kCounters];  // by "id pid"
  bool first_read_done_ = false;
  std::optional<double> pool_open_, pool_waiting_;
  int serving_ = 0;
  std::optional<lab::ProcessFootprint> footprint_;
};

}  // namespace scalelab::experiment
