// find_free_base_port under parallel labs: ranges handed out while the ones before are
// still held, in this process and in another, never overlap. (Two lab tests once got
// bases 50 ports apart and one failed to bind its app's admin port.)
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "lab/supervisor/run_dir.hpp"

using namespace scalelab;

namespace {

constexpr int kInstances = 60;  // what the lab tests ask for: the widest range
const int kSpan = lab::Ports{0}.app_admin(kInstances);

void expect_apart(const std::vector<int>& bases) {
  for (std::size_t i = 0; i < bases.size(); ++i)
    for (std::size_t j = i + 1; j < bases.size(); ++j)
      EXPECT_GT(std::abs(bases[i] - bases[j]), kSpan) << bases[i] << " and " << bases[j] << " overlap";
}

}  // namespace

TEST(LabPorts, RangesTakenWhileOthersAreHeldNeverOverlap) {
  std::vector<int> bases;
  for (int i = 0; i < 12; ++i) bases.push_back(lab::find_free_base_port(kInstances));
  expect_apart(bases);
}

TEST(LabPorts, AnotherProcessGetsOtherRangesThanTheOnesThisOneHolds) {
  std::vector<int> bases;
  for (int i = 0; i < 6; ++i) bases.push_back(lab::find_free_base_port(kInstances));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string out;
    for (int i = 0; i < 6; ++i) out += std::to_string(lab::find_free_base_port(kInstances)) + "\n";
    const bool whole = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
    ::_exit(whole ? 0 : 1);
  }
  ::close(fds[1]);
  std::string in;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) in.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (std::size_t at = 0, end; (end = in.find('\n', at)) != std::string::npos; at = end + 1)
    bases.push_back(std::stoi(in.substr(at, end - at)));
  ASSERT_EQ(bases.size(), 12u);
  expect_apart(bases);
}
