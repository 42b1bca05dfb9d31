// See proc_readings.hpp.
#include "lab/supervisor/proc_readings.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace scalelab::lab {

std::optional<double> process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!pid || !std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: count from its end.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
  }
  return std::nullopt;
}

std::optional<ProcessFootprint> process_footprint(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  ProcessFootprint f;
  bool rss = false, threads = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "VmRSS:") {
      double kib = 0;
      rss = static_cast<bool>(fields >> kib);
      f.rss_bytes = kib * 1024;
    } else if (key == "Threads:") {
      threads = static_cast<bool>(fields >> f.threads);
    }
  }
  if (!rss || !threads) return std::nullopt;
  return f;
}

std::optional<MachineCpu> machine_cpu() {
  // The first line: "cpu  user nice system idle iowait irq softirq steal guest guest_nice",
  // in clock ticks. Guest time is already inside user and nice.
  std::ifstream in("/proc/stat");
  std::string label;
  unsigned long long ticks[8] = {};
  if (!(in >> label) || label != "cpu") return std::nullopt;
  for (auto& t : ticks)
    if (!(in >> t)) return std::nullopt;
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  unsigned long long total = 0;
  for (auto t : ticks) total += t;
  const unsigned long long idle = ticks[3] + ticks[4];
  return MachineCpu{static_cast<double>(total - idle) / hz, static_cast<double>(total) / hz};
}

std::optional<double> busy_share(const MachineCpu& before, const MachineCpu& after) {
  const double total = after.total_s - before.total_s;
  if (!(total > 0)) return std::nullopt;
  const double share = (after.busy_s - before.busy_s) / total;
  return share < 0 ? 0 : (share > 1 ? 1 : share);
}

}  // namespace scalelab::lab
