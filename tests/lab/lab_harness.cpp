#include "tests/lab/lab_harness.hpp"

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "common/process.hpp"
#include "lab/supervisor/run_dir.hpp"
#include "tests/support/app_cluster.hpp"

namespace scalelab::testkit {

httplib::Client loopback_client(std::uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(5, 0);
  return c;
}

std::uint16_t free_base_port() { return lab::find_free_base_port(60); }

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
  std::vector<std::string> with_dir{"--dir", lab_dir().string()};
  with_dir.insert(with_dir.end(), args.begin(), args.end());
  return cli_raw(with_dir);
}

CliResult LabHarness::cli_raw(const std::vector<std::string>& args) {
  const auto out = dir_ / ("cli-" + std::to_string(++runs_) + ".out");
  process::SpawnOptions o;
  o.argv = {AppCluster::binary("scalelab")};
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

lab::LabClient LabHarness::client() { return lab::LabClient(lab_dir()); }

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
  std::ifstream in(lab_dir() / "supervisor.lock");
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace scalelab::testkit
