// Sends a load run's figures to the lab's live console, where they belong. The console
// cannot find a load generator (it runs in another process, or inside the experiment
// runner), so the load reports to it: every one-second Sample is POSTed to the
// supervisor's /console/api/load-sample. The console adds samples up, so each one must
// arrive, in order; but a slow or absent supervisor must never hold up the load that
// measures the lab. Hence a queue and a thread of its own.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "lab/supervisor/lab_config.hpp"

namespace scalelab::lab {

class SamplePublisher {
 public:
  // `source` names the run on the console ("scalelab load", an experiment's title).
  SamplePublisher(const LabConfig& lab, std::string source);
  // Sends what is still queued (for at most `kDrainFor`), then stops.
  ~SamplePublisher();
  SamplePublisher(const SamplePublisher&) = delete;
  SamplePublisher& operator=(const SamplePublisher&) = delete;

  // Queues one Sample (lab/load/README.md). Never blocks on the network. When
  // kMaxQueued samples wait already, the oldest is dropped. A sample the console does
  // not take is dropped too: the console is a view, the load's own report is the record.
  void publish(nlohmann::json sample);

  static constexpr std::size_t kMaxQueued = 600;
  static constexpr std::chrono::seconds kDrainFor{3};

 private:
  void run(std::stop_token stop);

  const LabConfig lab_;
  const std::string path_;  // /console/api/load-sample?source=...
  std::mutex mu_;
  std::condition_variable_any wake_;
  std::deque<std::string> queue_;  // serialised samples
  std::jthread thread_;  // last: started once everything above exists
};

}  // namespace scalelab::lab
