// deploy/scalelab-probe, the image's health check client (bash /dev/tcp, no curl),
// against a real scalelab-app and scalelab-balancer: 0 for 2xx, 1 for any other
// answer or none, 2 for a wrong invocation, bounded by its timeout.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "common/net.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/live_stack.hpp"

namespace scalelab::deploytest {
namespace {

CommandResult probe(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{(source_dir() / "deploy" / "scalelab-probe").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env, {}, std::chrono::seconds(20));
}

TEST(ProbeScript, ChecksTheAppAndTheBalancerLikeTheirHealthchecks) {
  if (!tool("bash") || !tool("timeout")) GTEST_SKIP() << "bash or coreutils' timeout is missing";
  LiveStack stack;
  const auto app = std::to_string(stack.app_port());
  EXPECT_EQ(probe({app, "/readyz"}).exit_code, 0) << probe({app, "/readyz"}).output;
  EXPECT_EQ(probe({"-t", "2", "127.0.0.1:" + app, "/healthz"}).exit_code, 0);
  EXPECT_EQ(probe({std::to_string(stack.balancer_admin_port()), "/healthz"}).exit_code, 0);

  const auto missing = probe({app, "/no-such-route"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("404"), std::string::npos) << missing.output;
  const auto refused = probe({std::to_string(net::free_port()), "/readyz"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("cannot connect"), std::string::npos) << refused.output;

  // The admin API is not on the service port, and wants the token from loopback too:
  // -a sends $SCALELAB_ADMIN_TOKEN, as the preStop hook and the compose toggle do.
  const auto admin = std::to_string(stack.app_admin_port());
  const std::map<std::string, std::string> token{{"SCALELAB_ADMIN_TOKEN", LiveStack::kAdminToken}};
  EXPECT_EQ(probe({"-X", "POST", app, "/admin/drain"}, token).exit_code, 1);
  EXPECT_EQ(probe({admin, "/readyz"}).exit_code, 0) << "probes need no token, and the Host names the port";
  const auto tokenless = probe({"-X", "POST", admin, "/admin/drain"}, token);
  EXPECT_EQ(tokenless.exit_code, 1) << "without -a no token is sent";
  EXPECT_NE(tokenless.output.find("401"), std::string::npos) << tokenless.output;
  const auto toggled = probe({"-a", "-X", "PUT", "-d", R"({"cache":"local"})", admin, "/admin/state"}, token);
  EXPECT_EQ(toggled.exit_code, 0) << toggled.output;
  const auto bad_body = probe({"-a", "-X", "PUT", "-d", R"({"cache":"sideways"})", admin, "/admin/state"}, token);
  EXPECT_EQ(bad_body.exit_code, 1);
  EXPECT_NE(bad_body.output.find("400"), std::string::npos) << bad_body.output;

  // The preStop hook: POST /admin/drain turns readiness off.
  EXPECT_EQ(probe({"-a", "-X", "POST", admin, "/admin/drain"}, token).exit_code, 0);
  const auto draining = probe({app, "/readyz"});
  EXPECT_EQ(draining.exit_code, 1);
  EXPECT_NE(draining.output.find("503"), std::string::npos) << draining.output;
}

TEST(ProbeScript, GivesUpAtItsTimeout) {
  if (!tool("bash") || !tool("timeout")) GTEST_SKIP() << "bash or coreutils' timeout is missing";
  // A listener that never answers: accepted by the kernel's backlog, never read.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto start = std::chrono::steady_clock::now();
  const auto r = probe({"-t", "1", std::to_string(ntohs(addr.sin_port)), "/readyz"});
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("within 1s"), std::string::npos) << r.output;
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ProbeScript, RejectsAWrongInvocation) {
  if (!tool("bash")) GTEST_SKIP() << "bash is missing";
  EXPECT_EQ(probe({}).exit_code, 2);
  EXPECT_EQ(probe({"8080"}).exit_code, 2);
  EXPECT_EQ(probe({"http://x", "/readyz"}).exit_code, 2);
  EXPECT_EQ(probe({"8080", "readyz"}).exit_code, 2);
  EXPECT_EQ(probe({"-X", "get", "8080", "/readyz"}).exit_code, 2);
  EXPECT_EQ(probe({"-d", "{\n}", "8080", "/readyz"}).exit_code, 2) << "a body is one line";
}

}  // namespace
}  // namespace scalelab::deploytest
