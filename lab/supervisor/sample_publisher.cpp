#include "lab/supervisor/sample_publisher.hpp"

#include <httplib.h>

#include <optional>

namespace scalelab::lab {

SamplePublisher::SamplePublisher(const LabConfig& lab, std::string source)
    : lab_(lab),
      path_(httplib::append_query_params("/console/api/load-sample", {{"source", std::move(source)}})),
      thread_([this](std::stop_token stop) { run(stop); }) {}

SamplePublisher::~SamplePublisher() {
  thread_.request_stop();
  thread_.join();
}

void SamplePublisher::publish(nlohmann::json sample) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) queue_.pop_front();
    queue_.push_back(sample.dump());
  }
  wake_.notify_one();
}

void SamplePublisher::run(std::stop_token stop) {
  httplib::Client http("127.0.0.1", lab_.ports.supervisor());
  http.set_connection_timeout(1, 0);
  http.set_read_timeout(2, 0);
  http.set_write_timeout(2, 0);
  std::optional<std::chrono::steady_clock::time_point> drain_until;
  while (true) {
    std::string body;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stopped with nothing left to send
      if (stop.stop_requested()) {
        if (!drain_until) drain_until = std::chrono::steady_clock::now() + kDrainFor;
        if (std::chrono::steady_clock::now() >= *drain_until) return;
      }
      body = std::move(queue_.front());
      queue_.pop_front();
    }
    http.Post(path_, body, "application/json");
  }
}

}  // namespace scalelab::lab
