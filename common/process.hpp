// Child processes, owned. Tests start real redis-server, s3rver and scalelab binaries,
// and the lab's supervisor runs a whole topology; both need the same guarantees:
//  - a child never outlives its owner: it gets PR_SET_PDEATHSIG(SIGKILL), and the
//    Process destructor kills and reaps it;
//  - a child inherits no descriptor but stdin/stdout/stderr (no leaked listening
//    sockets keeping ports busy after we are gone), and starts with default signal
//    dispositions (an ignored SIGPIPE would otherwise carry over exec);
//  - output can go to a log file, appended.
// Caveat: Linux sends PDEATHSIG when the *thread* that forked exits, not the process.
// Spawn from a thread that lives as long as the children should.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scalelab::process {

struct ExitStatus {
  bool signaled = false;  // true: killed by `signal`; false: exited with `code`
  int code = 0;
  int signal = 0;
  bool success() const { return !signaled && code == 0; }
  std::string describe() const;  // "exit 0", "signal KILL"
};

struct SpawnOptions {
  std::vector<std::string> argv{};            // argv[0] is looked up on PATH if it has no '/'
  std::map<std::string, std::string> env{};   // added to (or overriding) the inherited environment
  std::vector<std::string> unset_env{};       // removed from the inherited environment
  std::string cwd{};                          // empty: inherit
  std::string log_path{};                     // stdout and stderr appended here; empty: inherit
  bool die_with_parent = true;                // PR_SET_PDEATHSIG(SIGKILL)
  bool new_process_group = true;              // so a signal to the group reaches grandchildren
  bool new_session = false;                   // setsid(): a daemon, free of the terminal's signals
  // Run as this user and group (root only; PostgreSQL refuses to run as root).
  std::optional<std::pair<uid_t, gid_t>> run_as{};
};

class Process {
 public:
  Process() = default;
  // Starts the child. Throws std::system_error if fork fails, std::runtime_error if
  // the program cannot be executed (the exec error is reported back through a pipe).
  static Process spawn(const SpawnOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGKILL and reap, if still running

  pid_t pid() const { return pid_; }
  bool valid() const { return pid_ > 0; }

  // Reaps without blocking. Returns the exit status once the child has ended.
  std::optional<ExitStatus> poll();
  bool running() { return valid() && !poll(); }

  // Waits up to `timeout` for the child to end.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  ExitStatus wait();

  // Sends `sig` to the child (and its group when it leads one). No-op once reaped.
  void signal(int sig);

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Gives the child up: it is no longer signalled, waited for or killed by this object.
  void detach() { pid_ = -1; }

  // The status once known (after poll/wait found it ended).
  const std::optional<ExitStatus>& status() const { return status_; }

 private:
  pid_t pid_ = -1;
  bool group_leader_ = false;
  std::optional<ExitStatus> status_;
};

// "KILL" for SIGKILL, and so on; "SIG<n>" for unknown numbers.
std::string signal_name(int sig);
// Parses "KILL", "SIGKILL", "kill" or "9". Returns nullopt for unknown names.
std::optional<int> parse_signal(std::string_view name);

// The absolute path of `program` found on PATH (or `program` itself if it has a '/'),
// or nullopt when it is not executable.
std::optional<std::string> find_executable(const std::string& program);

}  // namespace scalelab::process
