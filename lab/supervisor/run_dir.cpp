#include "lab/supervisor/run_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/backing_services.hpp"
#include "common/net.hpp"

namespace scalelab::lab {
namespace {

std::filesystem::path lock_path(const std::filesystem::path& dir) { return dir / "supervisor.lock"; }

std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

bool one_of_ours(pid_t pid) {
  const std::string cmd = cmdline(pid);
  for (const char* name : {"scalelab-app", "scalelab-balancer", "scalelab-faultproxy", "redis-server", "s3rver",
                           "prometheus", "postgres", "pgbouncer"})
    if (cmd.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

RunDirLock::RunDirLock(const std::filesystem::path& dir) : path_(lock_path(dir)) {
  std::filesystem::create_directories(dir);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path_.string());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    const auto pid = running_supervisor(dir);
    throw std::runtime_error("a lab is already running in " + dir.string() +
                             (pid ? " (supervisor pid " + std::to_string(*pid) + ")" : "") + "; `scalelab down` first");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0)
    throw std::runtime_error("cannot write " + path_.string());
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

void RunDirLock::release() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<pid_t> running_supervisor(const std::filesystem::path& dir) {
  const int fd = ::open(lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<pid_t> result;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {  // held: someone runs the lab
    char buf[32] = {};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) result = static_cast<pid_t>(std::atol(buf));
    else result = 0;
  }
  ::close(fd);
  return result;
}

int clean_up_stale(const std::filesystem::path& dir) {
  // The lab's database lives as long as its lab: a new lab starts with a new one, never
  // with the cluster (and stale postmaster.pid) of a supervisor that died hard.
  struct RemoveDatabase {
    std::filesystem::path home;
    ~RemoveDatabase() { services::remove_postgres_home(home); }
  } remove_database{std::filesystem::absolute(dir) / "data" / "postgres"};
  std::ifstream in(dir / "state.json");
  if (!in) return 0;
  std::stringstream text;
  text << in.rdbuf();
  auto state = nlohmann::json::parse(text.str(), nullptr, false);
  int killed = 0;
  if (state.is_object() && state["components"].is_array()) {
    for (const auto& c : state["components"]) {
      const pid_t pid = c.value("pid", 0);
      if (pid <= 1 || ::kill(pid, 0) != 0 || !one_of_ours(pid)) continue;
      ::kill(-pid, SIGKILL);  // its process group, grandchildren included
      ::kill(pid, SIGKILL);
      ++killed;
    }
  }
  if (killed > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the kernel free the ports
  std::error_code ignored;
  std::filesystem::remove(dir / "state.json", ignored);
  return killed;
}

namespace {

// Ranges are handed out in aligned blocks, each reserved with a lock file for as long as
// the process that took it lives (a test, an experiment run): two labs starting at the
// same moment then never overlap, where probing for listeners alone let both pick
// ranges that nobody listened on yet (seen: bases 11067 and 11117, 50 ports apart).
constexpr int kBlock = 128;

bool reserve_block(int base) {
  const auto path = std::filesystem::temp_directory_path() / ("scalelab-ports-" + std::to_string(base) + ".lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // no lock to take (a read-only /tmp): probing alone decides
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;  // the descriptor stays open, and the lock held, until the process exits
}

}  // namespace

std::uint16_t find_free_base_port(int max_instances) {
  // Stay below the kernel's ephemeral range: a port in it can be taken at any moment by
  // an outgoing connection (the load's, the balancer's), and then listening on it fails.
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const Ports offsets{0};  // each port as an offset from the base
  const int span = offsets.app_admin(max_instances);
  if (span >= kBlock) throw std::runtime_error("a lab of " + std::to_string(max_instances) + " instances needs more ports than a block");
  constexpr int kLow = 10000;
  const int blocks = std::max(1, (std::max(12000, ephemeral_low - 1) - kLow) / kBlock);
  std::mt19937 gen(std::random_device{}());
  std::uniform_int_distribution<int> pick(0, blocks - 1);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int base = kLow + pick(gen) * kBlock;
    bool free = true;
    for (int p = base; p <= base + span && free; ++p)
      free = !net::can_connect("127.0.0.1", static_cast<std::uint16_t>(p), std::chrono::milliseconds(20));
    if (free && reserve_block(base)) return static_cast<std::uint16_t>(base);
  }
  throw std::runtime_error("no free range of ports for a lab");
}

void require_free_ports(const LabConfig& config) {
  const auto& p = config.ports;
  std::vector<std::pair<std::string, std::uint16_t>> ports{
      {"balancer", p.balancer()}, {"balancer admin", p.balancer_admin()}, {"supervisor", p.supervisor()},
      {"redis", p.redis()},       {"redis proxy", p.redis_proxy()},       {"s3", p.s3()},
      {"s3 proxy", p.s3_proxy()}, {"fault proxy API", p.faults_api()}};
  if (config.prometheus) ports.emplace_back("prometheus", p.prometheus());
  if (config.database) ports.emplace_back("postgres", p.postgres());
  if (config.database && config.db_pooler == "pgbouncer") ports.emplace_back("pgbouncer", p.pgbouncer());
  for (int n = 1; n <= config.instances; ++n) {
    ports.emplace_back("app-" + std::to_string(n), p.app(n));
    ports.emplace_back("app-" + std::to_string(n) + " admin", p.app_admin(n));
  }
  for (const auto& [what, port] : ports)
    if (net::can_connect("127.0.0.1", port, std::chrono::milliseconds(100)))
      throw std::runtime_error("port " + std::to_string(port) + " (" + what + ") is in use: pick another --base-port");
}

}  // namespace scalelab::lab
