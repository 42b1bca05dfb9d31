// The run folder's bookkeeping: one supervisor per folder (an flock'd lock file that
// holds its pid and vanishes with it), the leftovers of a supervisor that died hard
// (state.json lists its children's pids), and the ports a new lab needs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

#include "lab/supervisor/lab_config.hpp"

namespace scalelab::lab {

// Holds <dir>/supervisor.lock for the life of the object.
class RunDirLock {
 public:
  // Throws std::runtime_error naming the running supervisor if the lock is taken.
  explicit RunDirLock(const std::filesystem::path& dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;
  // Removes the lock file (at a clean exit; the flock goes with the descriptor).
  void release();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// The pid of the supervisor holding `dir`'s lock, or nullopt when nobody does.
std::optional<pid_t> running_supervisor(const std::filesystem::path& dir);

// Kills processes a dead supervisor left behind (listed in state.json, and still
// running one of the lab's programs), then removes state.json and the lab's database
// (spawn_specs.hpp: it lives as long as its lab). Returns how many it killed.
int clean_up_stale(const std::filesystem::path& dir);

// Throws std::runtime_error naming the first port of the lab that something else is
// already listening on.
void require_free_ports(const LabConfig& config);

// A base port P with the ports a lab of `max_instances` uses all free now, picked at
// random below the kernel's ephemeral port range (outgoing connections never take a
// lab's port), and reserved for as long as this process lives: parallel labs (tests,
// experiments) that ask here never get overlapping ranges.
std::uint16_t find_free_base_port(int max_instances = 20);

}  // namespace scalelab::lab
