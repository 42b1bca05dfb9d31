#include "common/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace std::chrono_literals;

TEST(Process, ReportsExitCodes) {
  auto p = process::Process::spawn({.argv = {"sh", "-c", "exit 3"}});
  auto s = p.wait();
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.code, 3);
  EXPECT_EQ(s.describe(), "exit 3");
}

TEST(Process, ReportsSignals) {
  auto p = process::Process::spawn({.argv = {"sleep", "30"}});
  EXPECT_TRUE(p.running());
  p.signal(SIGKILL);
  auto s = p.wait();
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.describe(), "signal KILL");
}

TEST(Process, StopEscalatesFromTermToKill) {
  auto p = process::Process::spawn({.argv = {"sh", "-c", "trap '' TERM; sleep 30"}});
  std::this_thread::sleep_for(100ms);
  auto s = p.stop(300ms);
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.signal, SIGKILL);
}

TEST(Process, StopsAPausedChild) {
  auto p = process::Process::spawn({.argv = {"sleep", "30"}});
  p.signal(SIGSTOP);
  auto s = p.stop(2s);
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.signal, SIGTERM);
}

TEST(Process, WritesOutputAndEnvironmentToTheLog) {
  testkit::TempDir dir;
  const auto log = (dir / "out.log").string();
  auto p = process::Process::spawn(
      {.argv = {"sh", "-c", "echo out=$SCALELAB_X; echo err >&2"}, .env = {{"SCALELAB_X", "42"}}, .log_path = log});
  EXPECT_TRUE(p.wait().success());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "out=42\nerr\n");
}

TEST(Process, UnknownProgramThrowsWithItsName) {
  try {
    process::Process::spawn({.argv = {"scalelab-no-such-program"}});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("scalelab-no-such-program"), std::string::npos);
  }
}

TEST(Process, ChildInheritsNoDescriptors) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // deliberately without O_CLOEXEC
  auto p = process::Process::spawn({.argv = {"sh", "-c", "test ! -e /proc/self/fd/" + std::to_string(fds[1])}});
  EXPECT_TRUE(p.wait().success());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Process, DestructorKillsTheChild) {
  pid_t pid;
  {
    auto p = process::Process::spawn({.argv = {"sleep", "30"}});
    pid = p.pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(Process, ParsesSignalNames) {
  EXPECT_EQ(process::parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(process::parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(process::parse_signal("9"), 9);
  EXPECT_FALSE(process::parse_signal("BOGUS"));
  EXPECT_FALSE(process::parse_signal("99"));
  EXPECT_EQ(process::signal_name(SIGSTOP), "STOP");
}
