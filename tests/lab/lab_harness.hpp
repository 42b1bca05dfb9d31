// Runs the real `scalelab` CLI against a lab in a temporary folder on free ports, and
// guarantees the lab is brought down (and its processes gone) when the test ends.
#pragma once

#include <httplib.h>
#include <signal.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/supervisor/lab_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::testkit {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class LabHarness {
 public:
  LabHarness();
  ~LabHarness();  // scalelab down, then SIGKILL whatever is left

  // Runs `scalelab --dir <dir> <args...>` and waits for it.
  CliResult cli(const std::vector<std::string>& args);
  // Runs `scalelab <args...>` (no --dir added) and waits for it.
  CliResult cli_raw(const std::vector<std::string>& args);
  // `up` with the lab's base port; fails the test if it does not exit 0.
  void up(const std::vector<std::string>& extra = {});
  lab::LabClient client();
  nlohmann::json status();
  std::uint16_t base_port() const { return base_port_; }
  const TempDir& dir() const { return dir_; }
  // The lab's run folder (--dir of every command): <dir>/lab.
  std::filesystem::path lab_dir() const { return dir_ / "lab"; }
  // The pid of every running component, and of the supervisor.
  std::vector<int> pids();
  int supervisor_pid();

 private:
  TempDir dir_{"scalelab-lab"};
  std::uint16_t base_port_;
  int runs_ = 0;
};

// A client for 127.0.0.1:port, TCP_NODELAY on, 5 s read timeout.
httplib::Client loopback_client(std::uint16_t port);

// A base port with the next 70 ports free.
std::uint16_t free_base_port();
// True while `pid` runs (a zombie does not count: it has exited).
bool running(int pid);

}  // namespace scalelab::testkit
