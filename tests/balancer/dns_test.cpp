// Integration test: DNS discovery picks up a backend that is added to a name and drops
// one that is removed. The balancer and its backends run in a network namespace of
// the test's own; `ip netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts
// for them, and the test rewrites that file. The test talks to them from a thread
// that joined the namespace (setns is per thread for network namespaces). Where
// namespaces are not permitted, it skips with a message.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace scalelab::balancer_test;
using namespace std::chrono_literals;

namespace {

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// A network namespace with loopback up and its own hosts file, removed on destruction.
class Netns {
 public:
  explicit Netns(std::string name) : name_(std::move(name)) {
    sh("ip netns del " + name_);
    ok_ = sh("ip netns add " + name_) == 0 && sh("ip netns exec " + name_ + " ip link set lo up") == 0;
    if (ok_) {
      std::filesystem::create_directories(dir());
      write_hosts("");
    }
  }
  ~Netns() {
    sh("ip netns del " + name_);
    std::error_code ignored;
    std::filesystem::remove_all(dir(), ignored);
  }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  std::vector<std::string> exec_prefix() const { return {"ip", "netns", "exec", name_}; }
  // Rewritten in place: the bind mount follows the inode, not the name.
  void write_hosts(const std::string& entries) {
    std::ofstream out(dir() + "/hosts", std::ios::trunc);
    out << "127.0.0.1 localhost\n" << entries;
  }
  // Runs `fn` on a thread inside the namespace.
  void run(const std::function<void()>& fn) const {
    std::thread t([&] {
      const int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        if (fd >= 0) ::close(fd);
        ADD_FAILURE() << "setns into " << name_ << " failed";
        return;
      }
      ::close(fd);
      fn();
    });
    t.join();
  }

 private:
  std::string dir() const { return "/etc/netns/" + name_; }
  std::string name_;
  bool ok_ = false;
};

std::set<std::string> ids(const nlohmann::json& backends) {
  std::set<std::string> out;
  for (const auto& b : backends["backends"])
    if (b["state"] == "active") out.insert(b["id"].get<std::string>());
  return out;
}

}  // namespace

TEST(Dns, DiscoveryFollowsTheNamesAddresses) {
  if (!process::find_executable("ip")) GTEST_SKIP() << "iproute2 (ip) is not installed";
  Netns ns("slb-dns-" + std::to_string(::getpid()));
  if (!ns.ok()) GTEST_SKIP() << "network namespaces are not permitted here (ip netns add failed; needs root/CAP_SYS_ADMIN)";
  constexpr std::uint16_t kPort = 18080;  // a fresh namespace has every port free
  ns.write_hosts("127.0.0.2 backends.test\n");
  TestBackend one("one", "127.0.0.2", kPort, ns.exec_prefix());
  TestBackend two("two", "127.0.0.3", kPort, ns.exec_prefix());
  Balancer lb({"--discover-dns=backends.test:" + std::to_string(kPort), "--dns-interval-ms=100",
               "--health-interval-ms=100"},
              ns.exec_prefix());
  const std::string first = "127.0.0.2:" + std::to_string(kPort);
  const std::string second = "127.0.0.3:" + std::to_string(kPort);

  ns.run([&] {
    ASSERT_TRUE(eventually([&] { return ids(lb.backends()) == std::set<std::string>{first}; }, 5s))
        << lb.backends().dump();
    EXPECT_EQ(lb.backend(first).value()["source"], "dns");
    ASSERT_TRUE(eventually([&] { return lb.backend(first).value()["healthy"] == true; }, 5s));
    EXPECT_EQ(lb.client().Get("/echo")->get_header_value("X-Instance"), "one");
  });

  ns.write_hosts("127.0.0.2 backends.test\n127.0.0.3 backends.test\n");
  ns.run([&] {
    ASSERT_TRUE(eventually([&] { return ids(lb.backends()) == std::set<std::string>{first, second}; }, 5s))
        << lb.backends().dump();
    ASSERT_TRUE(eventually([&] { return lb.backend(second).value()["healthy"] == true; }, 5s));
    auto cli = lb.client();
    std::set<std::string> seen;
    for (int i = 0; i < 6; ++i) seen.insert(cli.Get("/echo")->get_header_value("X-Instance"));
    EXPECT_EQ(seen, (std::set<std::string>{"one", "two"}));
  });

  ns.write_hosts("127.0.0.3 backends.test\n");
  ns.run([&] {
    ASSERT_TRUE(eventually([&] { return !lb.backend(first).has_value(); }, 5s)) << lb.backends().dump();
    auto cli = lb.client();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(cli.Get("/echo")->get_header_value("X-Instance"), "two");
  });
}
