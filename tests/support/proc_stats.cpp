#include "tests/support/proc_stats.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

namespace scalelab::testkit {
namespace {
long status_field_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.substr(field.size() + 1).c_str());
  }
  return -1;
}
}  // namespace

long rss_kib(pid_t pid) { return status_field_kib(pid, "VmRSS"); }
long peak_rss_kib(pid_t pid) { return status_field_kib(pid, "VmHWM"); }

}  // namespace scalelab::testkit
