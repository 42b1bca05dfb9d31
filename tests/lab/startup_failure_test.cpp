// `scalelab up` when the lab cannot come up as asked: a component that exits during
// start-up fails `up` at once, in that component's own words, and the lab is brought
// down (the message says so); a lab that is merely slow is left running at the timeout,
// and then it really is running.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "common/net.hpp"
#include "tests/lab/lab_harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

// A socket bound to 127.0.0.1:port that does not listen. `up` checks its ports by
// connecting, which this refuses, so the check passes; a component's bind then fails,
// as when another program takes the port between the check and the bind.
class BoundPort {
 public:
  explicit BoundPort(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~BoundPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool bound() const { return bound_; }

 private:
  int fd_;
  bool bound_ = false;
};

struct TimedCli {
  CliResult result;
  double seconds = 0;
};

TimedCli timed(LabHarness& lab, const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  TimedCli t{lab.cli(args)};
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

// After a failed `up`: no supervisor, no component left listening on the lab's ports.
void expect_nothing_left(LabHarness& lab) {
  auto status = lab.cli({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.output;
  EXPECT_NE(status.output.find("no lab is running"), std::string::npos) << status.output;
  EXPECT_FALSE(running(lab.supervisor_pid()));
  for (int offset : {1, 2, 3, 4, 5, 6, 7, 11, 12})
    EXPECT_FALSE(net::can_connect("127.0.0.1", static_cast<std::uint16_t>(lab.base_port() + offset), 100ms))
        << "port P+" << offset << " still answers";
}

}  // namespace

TEST(LabStartup, InstancesThatExitAtOnceFailUpAtOnceInTheirOwnWords) {
  LabHarness lab;
  // Every instance exits with a usage error; the timeout is long, so only noticing the
  // exits makes `up` quick.
  auto up = timed(lab, {"up", "--base-port", std::to_string(lab.base_port()), "--instances", "2", "--app-env",
                        "SCALELAB_WORKERS=0", "--timeout", "60"});
  EXPECT_EQ(up.result.exit_code, 1) << up.result.output;
  EXPECT_LT(up.seconds, 20) << up.result.output;
  const std::string& out = up.result.output;
  EXPECT_EQ(out.rfind("scalelab: app-", 0), 0u) << out;
  EXPECT_NE(out.find(") exited during start-up (exit 2)"), std::string::npos) << out;
  EXPECT_NE(out.find("--workers: Value 0 not in range"), std::string::npos) << "the instance's own line: " << out;
  EXPECT_NE(out.find("the lab has been brought down"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  expect_nothing_left(lab);
}

TEST(LabStartup, APortTakenAfterTheCheckFailsUpAtOnce) {
  LabHarness lab;
  auto taken = std::make_unique<BoundPort>(lab.base_port());  // the balancer's
  ASSERT_TRUE(taken->bound());
  auto up = timed(lab, {"up", "--base-port", std::to_string(lab.base_port()), "--instances", "1", "--timeout", "60"});
  EXPECT_EQ(up.result.exit_code, 1) << up.result.output;
  EXPECT_LT(up.seconds, 20) << up.result.output;
  const std::string& out = up.result.output;
  EXPECT_EQ(out.rfind("scalelab: balancer (127.0.0.1:" + std::to_string(lab.base_port()) + ") exited during start-up (exit 1)", 0), 0u)
      << out;
  EXPECT_NE(out.find("Address already in use"), std::string::npos) << "the balancer's own line: " << out;
  EXPECT_NE(out.find("the lab has been brought down"), std::string::npos) << out;
  expect_nothing_left(lab);

  // Nothing of the failed lab stands in the way of the next one in the same folder.
  taken.reset();
  lab.up({"--instances", "1"});
}

TEST(LabStartup, ALabNotReadyInTimeIsLeftRunningAsTheMessageSays) {
  LabHarness lab;
  // The balancer requires an admin token the supervisor does not have, so no instance
  // ever joins its rotation: every process runs, and the lab never gets ready.
  auto up = timed(lab, {"up", "--base-port", std::to_string(lab.base_port()), "--instances", "1", "--balancer-env",
                        "SCALELAB_BALANCER_ADMIN_TOKEN=not-the-labs", "--timeout", "3"});
  EXPECT_EQ(up.result.exit_code, 1) << up.result.output;
  EXPECT_NE(up.result.output.find("not ready in time"), std::string::npos) << up.result.output;
  EXPECT_NE(up.result.output.find("the lab is still running"), std::string::npos) << up.result.output;
  auto status = lab.cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << "the message said it runs: " << status.output;
  EXPECT_TRUE(running(lab.supervisor_pid()));
  EXPECT_EQ(lab.cli({"down"}).exit_code, 0);
}

TEST(LabStartup, AnotherLabsSupervisorOnOurPortIsNeverTakenForOurs) {
  // Two labs whose port ranges overlap: the second one's supervisor cannot bind, but
  // in the moment between its port check and its bind the first one's may have, and
  // then every command of the second would be answered by the first. lab.json's id
  // tells them apart.
  LabHarness first;
  first.up({"--instances", "1"});
  LabHarness second;
  lab::LabConfig impostor = lab::read_lab_config(first.lab_dir());
  impostor.dir = second.lab_dir();
  impostor.id = "not-the-first-labs";
  lab::write_lab_config(impostor);

  lab::LabClient client(impostor, std::chrono::seconds(5));
  try {
    client.status();
    ADD_FAILURE() << "the first lab's supervisor answered for the second";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.code(), "another_lab");
    EXPECT_NE(std::string(e.what()).find("another lab"), std::string::npos) << e.what();
  }
  EXPECT_THROW(client.reachable(), HttpError);
  EXPECT_NO_THROW(first.client().status()) << "the first lab's own client still works";
}
