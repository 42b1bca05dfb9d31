// The one C++ client for a running lab's control API, used by the CLI, the experiment
// runner and the tests. It finds the lab through <dir>/lab.json.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http_error.hpp"
#include "lab/supervisor/lab_config.hpp"

namespace httplib {
class Client;
struct Response;
}

namespace scalelab::lab {

// Every call that fails throws HttpError: status() is the HTTP status, 0 when the
// supervisor is not reachable; code() the API's error code. An answer from another
// lab's supervisor (its X-Scalelab-Lab is not lab.json's id) throws HttpError(0,
// "another_lab"), reachable() included.
class LabClient {
 public:
  // Reads <dir>/lab.json; throws std::runtime_error when there is no lab there.
  explicit LabClient(const std::filesystem::path& dir, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  LabClient(const LabConfig& config, std::chrono::milliseconds timeout);
  ~LabClient();

  const LabConfig& config() const { return config_; }
  bool reachable();

  nlohmann::json status();
  nlohmann::json events(std::uint64_t since = 0);
  nlohmann::json kill(const std::string& id, const std::string& signal = "KILL");
  nlohmann::json pause(const std::string& id);
  nlohmann::json resume(const std::string& id);
  nlohmann::json restart(const std::string& id);
  nlohmann::json scale(int instances);
  nlohmann::json toggle(const std::string& concern, const std::string& mode);
  nlohmann::json autoscale();                          // GET /autoscale
  nlohmann::json autoscale_set(const std::string& spec);  // PUT /autoscale
  nlohmann::json autoscale_off();                      // DELETE /autoscale
  nlohmann::json faults();
  nlohmann::json fault_add(const std::string& link, const nlohmann::json& toxic);
  nlohmann::json fault_clear(const std::string& link);
  nlohmann::json fault_remove(const std::string& link, const std::string& name);
  nlohmann::json logs(const std::string& id, std::optional<std::uint64_t> offset = std::nullopt);
  nlohmann::json down();

  // Restarts `id`, then polls until it has started again and is ready, or `timeout`.
  // Returns the component's last status entry; its "state" says which of the two it was.
  nlohmann::json restart_and_wait(const std::string& id, std::chrono::milliseconds timeout);

  // Polls status until `done(status)` or `timeout`; returns the last status.
  nlohmann::json wait_for(const std::function<bool(const nlohmann::json&)>& done, std::chrono::milliseconds timeout);

 private:
  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  void require_own_lab(const httplib::Response& r) const;
  LabConfig config_;
  std::unique_ptr<httplib::Client> http_;
};

// True when every component of a status is ready, and every instance is in the
// balancer's rotation.
bool all_ready(const nlohmann::json& status);

}  // namespace scalelab::lab
