// Starting and stopping a lab from the outside: `scalelab up` and the experiment runner
// start a supervisor as a daemon (its own session, so it outlives the shell command)
// and wait until every component is ready; `scalelab down` asks it to stop and waits
// until it is gone. run_supervisor() is the daemon itself (`scalelab supervise`).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/supervisor/lab_config.hpp"

namespace httplib {
class Server;
}

namespace scalelab::lab {

class Supervisor;
// Adds routes to the supervisor's HTTP server (the live console does).
using ApiExtension = std::function<void(httplib::Server&, Supervisor&)>;

// The folder holding the running executable (where its sibling binaries are).
std::string executable_dir();

// Runs the supervisor of the lab in `dir` in this process until the lab is down.
// Returns the exit code; prints a one-line reason to stderr on failure.
int run_supervisor(const std::filesystem::path& dir, const std::vector<ApiExtension>& extensions = {});

// Starts a lab (`scalelab supervise` from `scalelab_exe`) and returns its status once
// every component is ready. `progress` sees each status while it waits. A balancer_env
// key the lab sets itself (refused_balancer_env) throws std::invalid_argument before
// anything starts. Otherwise it throws std::runtime_error with the reason:
//  - a component that exits (or cannot be spawned) before the lab is ready fails it at
//    once, in that component's words (the last error line of its log); the lab is
//    brought down first, and the message says so;
//  - the supervisor dying says why, from its own log; its components die with it;
//  - at `timeout` the lab is left running, and the message says that instead.
// With no exception, the lab runs on after this returns.
nlohmann::json start_lab(LabConfig config, const std::string& scalelab_exe, std::chrono::milliseconds timeout,
                         const std::function<void(const nlohmann::json&)>& progress = {});

// Asks the lab in `dir` to come down and waits until its supervisor has exited.
// Returns false if it was still running at `timeout`.
bool stop_lab(const std::filesystem::path& dir, std::chrono::milliseconds timeout);

}  // namespace scalelab::lab
