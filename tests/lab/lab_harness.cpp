#include "tests/lab/lab_harness.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "common/process.hpp"
#include "tests/support/app_cluster.hpp"

namespace scalelab::testkit {

std::uint16_t free_base_port() {
  std::mt19937 gen(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 50000);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = pick(gen);
    bool free = true;
    for (int p = base; p < base + 70 && free; ++p)
      free = !net::can_connect("127.0.0.1", static_cast<std::uint16_t>(p), std::chrono::milliseconds(20));
    if (free) return static_cast<std::uint16_t>(base);
  }
  throw std::runtime_error("no free range of 70 ports");
}

bool running(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  return close == std::string::npos || text.size() < close + 3 || text[close + 2] != 'Z';
}

LabHarness::LabHarness() : base_port_(free_base_port()) {}

LabHarness::~LabHarness() {
  std::vector<int> left = pids();
  cli({"down"});
  for (int pid : left)
    if (running(pid)) ::kill(pid, SIGKILL);
}

CliResult LabHarness::cli(const std::vector<std::string>& args) {
  const auto out = dir_ / ("cli-" + std::to_string(++runs_) + ".out");
  process::SpawnOptions o;
  o.argv = {AppCluster::binary("scalelab"), "--dir", (dir_ / "lab").string()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log_path = out.string();
  auto p = process::Process::spawn(o);
  auto status = p.wait_for(std::chrono::seconds(120));
  CliResult r;
  r.exit_code = status && !status->signaled ? status->code : -1;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

void LabHarness::up(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"up", "--base-port", std::to_string(base_port_)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

lab::LabClient LabHarness::client() { return lab::LabClient(dir_ / "lab"); }

nlohmann::json LabHarness::status() { return client().status(); }

std::vector<int> LabHarness::pids() {
  std::vector<int> out;
  try {
    const nlohmann::json now = status();  // kept alive for the loop
    for (const auto& c : now["components"])
      if (c["pid"].get<int>() > 0) out.push_back(c["pid"].get<int>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pids: %s\n", e.what());  // no lab: nothing but maybe a supervisor
  }
  if (const int sup = supervisor_pid(); sup > 0) out.push_back(sup);
  return out;
}

int LabHarness::supervisor_pid() {
  std::ifstream in(dir_ / "lab" / "supervisor.lock");
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace scalelab::testkit
