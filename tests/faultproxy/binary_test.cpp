// The scalelab-faultproxy binary as the supervisor runs it: flags or environment,
// JSON log lines, exit 0 on SIGTERM/SIGINT, 2 on bad flags, 1 when a port is taken.
#include <signal.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "common/process.hpp"
#include "tests/faultproxy/harness.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = std::string(SCALELAB_BINARY_DIR) + "/bin/scalelab-faultproxy";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string link(const std::string& name, std::uint16_t listen, std::uint16_t upstream) {
  return name + "=127.0.0.1:" + std::to_string(listen) + ",127.0.0.1:" + std::to_string(upstream);
}

process::ExitStatus run_to_end(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), kBinary);
  auto p = process::Process::spawn({.argv = args, .env = env, .log_path = "/dev/null"});
  auto status = p.wait_for(10s);
  if (!status) return p.stop(1s);
  return *status;
}

}  // namespace

TEST(Binary, ProxiesWithFlagsAndStopsCleanlyOnSigterm) {
  RedisServer redis;
  TempDir dir("scalelab-faultproxy");
  const auto port = net::free_port(), api = net::free_port();
  auto p = process::Process::spawn(
      {.argv = {kBinary, "--proxy", link("redis", port, redis.port()), "--api", "127.0.0.1:" + std::to_string(api)},
       .log_path = (dir / "proxy.log").string()});
  ASSERT_TRUE(net::wait_for_port("127.0.0.1", api, 5s)) << slurp(dir / "proxy.log");
  faultproxy::Client client("127.0.0.1", api);
  ASSERT_TRUE(client.healthy());
  client.add_toxic("redis", {{"type", "latency"}, {"attributes", {{"latency", 80}}}});
  Redis r(port);
  EXPECT_GE(r.timed_ping(), 79) << r.error();

  p.signal(SIGTERM);
  const auto status = p.wait_for(5s);
  ASSERT_TRUE(status.has_value()) << "still running after SIGTERM";
  EXPECT_TRUE(status->success()) << status->describe();
  const std::string log = slurp(dir / "proxy.log");
  EXPECT_NE(log.find("\"msg\":\"toxic added\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"msg\":\"fault proxy stopped\""), std::string::npos) << log;
  EXPECT_FALSE(net::can_connect("127.0.0.1", port));
}

TEST(Binary, ReadsTheEnvironmentAndStopsOnSigint) {
  RedisServer redis;
  const auto a = net::free_port(), b = net::free_port(), api = net::free_port();
  auto p = process::Process::spawn(
      {.argv = {kBinary},
       .env = {{"SCALELAB_FAULTPROXY_PROXIES", link("redis", a, redis.port()) + ";" + link("s3", b, redis.port())},
               {"SCALELAB_FAULTPROXY_API", "127.0.0.1:" + std::to_string(api)}},
       .log_path = "/dev/null"});
  ASSERT_TRUE(net::wait_for_port("127.0.0.1", api, 5s));
  faultproxy::Client client("127.0.0.1", api);
  EXPECT_EQ(client.proxies().size(), 2u);
  // A toxic on one link leaves the other alone.
  client.add_toxic("s3", {{"type", "down"}});
  EXPECT_TRUE(Redis(a).ping());
  EXPECT_FALSE(Redis(b).ok());
  p.signal(SIGINT);
  const auto status = p.wait_for(5s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success()) << status->describe();
}

TEST(Binary, BadFlagsExitWithUsageCode) {
  const std::string api = "127.0.0.1:" + std::to_string(net::free_port());
  EXPECT_EQ(run_to_end({"--api", api}).code, 2);  // no --proxy
  EXPECT_EQ(run_to_end({"--proxy", "redis=127.0.0.1:1", "--api", api}).code, 2);
  EXPECT_EQ(run_to_end({"--proxy", "redis=127.0.0.1:7001,127.0.0.1:6379", "--api", "0.0.0.0:7000"}).code, 2);
  EXPECT_EQ(run_to_end({"--proxy", "redis=127.0.0.1:7001,127.0.0.1:6379", "--api", api, "--log-level", "loud"}).code,
            2);
  EXPECT_EQ(run_to_end({"--help"}).code, 0);
}

TEST(Binary, TakenPortExitsWithFailure) {
  InProcessProxy other(1);  // holds a proxy port and an API port
  const std::string taken = "redis=127.0.0.1:" + std::to_string(other.port()) + ",127.0.0.1:1";
  EXPECT_EQ(run_to_end({"--proxy", taken, "--api", "127.0.0.1:" + std::to_string(net::free_port())}).code, 1);
}

TEST(Binary, InProcessServerReportsATakenPortAsSystemError) {
  InProcessProxy other(1);
  faultproxy::ServerOptions options;
  options.proxies.push_back(faultproxy::parse_proxy_definition(
      "redis=127.0.0.1:" + std::to_string(other.port()) + ",127.0.0.1:1"));
  options.api = {"127.0.0.1", net::free_port()};
  EXPECT_THROW(faultproxy::Server{options}, std::system_error);
}
