// find_free_base_port under parallel labs: ranges handed out while the ones before are
// still held, in this process and in another, never overlap. (Two lab tests once got
// bases 50 ports apart and one failed to bind its app's admin port.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "lab/supervisor/run_dir.hpp"
#include "tests/support/forked.hpp"

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
  const auto from_child = testkit::output_of_forked_child([] {
    std::string out;
    for (int i = 0; i < 6; ++i) out += std::to_string(lab::find_free_base_port(kInstances)) + "\n";
    return out;
  });
  ASSERT_TRUE(from_child.has_value());
  for (std::size_t at = 0, end; (end = from_child->find('\n', at)) != std::string::npos; at = end + 1)
    bases.push_back(std::stoi(from_child->substr(at, end - at)));
  ASSERT_EQ(bases.size(), 12u);
  expect_apart(bases);
}
