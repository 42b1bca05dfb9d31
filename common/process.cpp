#include "common/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace scalelab::process {
namespace {

struct SignalName {
  int number;
  const char* name;
};
constexpr SignalName kSignals[] = {{SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGABRT, "ABRT"},
                                   {SIGKILL, "KILL"}, {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"},
                                   {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"}, {SIGTERM, "TERM"}, {SIGCHLD, "CHLD"},
                                   {SIGCONT, "CONT"}, {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"}, {SIGBUS, "BUS"}};

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFSIGNALED(wstatus)) {
    s.signaled = true;
    s.signal = WTERMSIG(wstatus);
  } else {
    s.code = WEXITSTATUS(wstatus);
  }
  return s;
}

// Everything the child needs, prepared before fork: after fork in a multi-threaded
// process only async-signal-safe calls are allowed, so no allocation happens there.
struct ExecPlan {
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, envp;
  std::string path;
};

ExecPlan plan(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  ExecPlan p;
  auto found = find_executable(options.argv[0]);
  if (!found) throw std::runtime_error("spawn: '" + options.argv[0] + "' not found or not executable");
  p.path = *found;
  p.argv_storage = options.argv;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (options.env.count(key) != 0) continue;
    if (std::find(options.unset_env.begin(), options.unset_env.end(), key) != options.unset_env.end()) continue;
    p.env_storage.push_back(std::move(entry));
  }
  for (const auto& [k, v] : options.env) p.env_storage.push_back(k + "=" + v);
  for (auto& s : p.argv_storage) p.argv.push_back(s.data());
  p.argv.push_back(nullptr);
  for (auto& s : p.env_storage) p.envp.push_back(s.data());
  p.envp.push_back(nullptr);
  return p;
}

[[noreturn]] void child_fail(int report_fd, int err) {
  ssize_t ignored = ::write(report_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

void close_inherited_fds(int keep) {
  // close_range(2) where the kernel has it; otherwise a bounded loop.
#ifdef SYS_close_range
  if (keep > 3) {
    if (::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0 &&
        ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0)
      return;
  } else if (::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0) {
    return;
  }
#endif
  for (int fd = 3; fd < 65536; ++fd)
    if (fd != keep) ::close(fd);
}

}  // namespace

std::string ExitStatus::describe() const {
  return signaled ? "signal " + signal_name(signal) : "exit " + std::to_string(code);
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.number == sig) return s.name;
  return "SIG" + std::to_string(sig);
}

std::optional<int> parse_signal(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
  for (const auto& s : kSignals)
    if (upper == s.name) return s.number;
  if (!upper.empty() && std::all_of(upper.begin(), upper.end(), ::isdigit) && upper.size() <= 2) {
    int n = std::stoi(upper);
    if (n >= 1 && n <= 31) return n;
  }
  return std::nullopt;
}

std::optional<std::string> find_executable(const std::string& program) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos)
    return ::access(program.c_str(), X_OK) == 0 ? std::optional<std::string>(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Process Process::spawn(const SpawnOptions& options) {
  ExecPlan p = plan(options);
  int log_fd = -1;
  if (!options.log_path.empty()) {
    log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + options.log_path);
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    if (log_fd >= 0) ::close(log_fd);
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  const pid_t parent = ::getpid();
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    if (log_fd >= 0) ::close(log_fd);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    if (options.new_session) {
      ::setsid();
    } else if (options.new_process_group) {
      ::setpgid(0, 0);
    }
    if (options.run_as) {  // before PR_SET_PDEATHSIG, which a change of user clears
      if (::setgroups(0, nullptr) != 0 || ::setgid(options.run_as->second) != 0 ||
          ::setuid(options.run_as->first) != 0)
        child_fail(report[1], errno);
    }
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      ::signal(sig, SIG_DFL);
    }
    if (log_fd >= 0) {
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    close_inherited_fds(report[1]);
    if (cwd != nullptr && ::chdir(cwd) != 0) child_fail(report[1], errno);
    ::execve(p.path.c_str(), p.argv.data(), p.envp.data());
    child_fail(report[1], errno);
  }
  if (options.new_process_group && !options.new_session) ::setpgid(pid, pid);  // closes the race with the child's own setpgid
  ::close(report[1]);
  if (log_fd >= 0) ::close(log_fd);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof child_errno) {
    int ignored;
    ::waitpid(pid, &ignored, 0);
    throw std::runtime_error("spawn " + options.argv[0] + ": " + std::strerror(child_errno));
  }
  Process proc;
  proc.pid_ = pid;
  proc.group_leader_ = options.new_process_group || options.new_session;
  return proc;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), group_leader_(other.group_leader_), status_(std::move(other.status_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (running()) {
      signal(SIGKILL);
      wait();
    }
    pid_ = std::exchange(other.pid_, -1);
    group_leader_ = other.group_leader_;
    status_ = std::move(other.status_);
  }
  return *this;
}

Process::~Process() {
  if (running()) {
    signal(SIGKILL);
    wait();
  }
}

std::optional<ExitStatus> Process::poll() {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  int wstatus = 0;
  const pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    status_ = decode(wstatus);
  } else if (r < 0 && errno == ECHILD) {
    status_ = ExitStatus{};  // reaped elsewhere; the status is unknown
  }
  return status_;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    if (auto s = poll()) return s;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

ExitStatus Process::wait() {
  if (status_) return *status_;
  if (pid_ <= 0) return ExitStatus{};
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? decode(wstatus) : ExitStatus{};
  return *status_;
}

void Process::signal(int sig) {
  if (pid_ <= 0 || status_) return;
  if (group_leader_ && ::kill(-pid_, sig) == 0) return;
  ::kill(pid_, sig);
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (auto s = poll()) return *s;
  signal(SIGTERM);
  signal(SIGCONT);  // a stopped (paused) child acts on SIGTERM only once it runs again
  if (auto s = wait_for(grace)) return *s;
  signal(SIGKILL);
  return wait();
}

}  // namespace scalelab::process
