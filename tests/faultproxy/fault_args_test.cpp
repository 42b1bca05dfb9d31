// `scalelab fault ...` arguments: what people type becomes the API's JSON, and every
// mistake gets one line naming the bad word.
#include "lab/faultproxy/fault_args.hpp"

#include <gtest/gtest.h>

using namespace scalelab::faultproxy;

namespace {

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse_fault_command(args);
  } catch (const FaultArgsError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST(FaultArgs, LatencyWithEveryKey) {
  const FaultCommand cmd = parse_fault_command(
      {"redis", "latency", "latency=200", "jitter=20", "direction=downstream", "toxicity=0.5", "name=slow"});
  EXPECT_EQ(cmd.action, FaultCommand::Action::add);
  EXPECT_EQ(cmd.link, "redis");
  EXPECT_EQ(cmd.toxic["type"], "latency");
  EXPECT_EQ(cmd.toxic["name"], "slow");
  EXPECT_EQ(cmd.toxic["direction"], "downstream");
  EXPECT_EQ(cmd.toxic["toxicity"], 0.5);
  EXPECT_EQ(cmd.toxic["attributes"]["latency"], 200.0);
  EXPECT_EQ(cmd.toxic["attributes"]["jitter"], 20.0);
}

TEST(FaultArgs, DefaultsAreFilledIn) {
  const FaultCommand cmd = parse_fault_command({"s3", "timeout"});
  EXPECT_EQ(cmd.toxic["name"], "timeout_downstream");
  EXPECT_EQ(cmd.toxic["toxicity"], 1.0);
  EXPECT_EQ(cmd.toxic["attributes"]["timeout"], 0.0);
  EXPECT_EQ(parse_fault_command({"s3", "down"}).toxic["type"], "down");
}

TEST(FaultArgs, ListClearRemove) {
  EXPECT_EQ(parse_fault_command({"list"}).action, FaultCommand::Action::list);
  const FaultCommand clear = parse_fault_command({"redis", "clear"});
  EXPECT_EQ(clear.action, FaultCommand::Action::clear);
  EXPECT_EQ(clear.link, "redis");
  const FaultCommand remove = parse_fault_command({"s3", "remove", "slow"});
  EXPECT_EQ(remove.action, FaultCommand::Action::remove);
  EXPECT_EQ(remove.toxic_name, "slow");
}

TEST(FaultArgs, ErrorsNameTheBadWord) {
  EXPECT_EQ(error_of({}), "missing LINK (redis, s3) or 'list'");
  EXPECT_EQ(error_of({"mysql", "down"}), "unknown link 'mysql' (redis, s3)");
  EXPECT_EQ(error_of({"redis"}).rfind("missing TOXIC", 0), 0u);
  EXPECT_EQ(error_of({"redis", "lag"}).rfind("unknown toxic 'lag'", 0), 0u);
  EXPECT_EQ(error_of({"redis", "latency", "latency"}), "expected key=value, got 'latency'");
  EXPECT_EQ(error_of({"redis", "latency", "=5"}), "expected key=value, got '=5'");
  EXPECT_EQ(error_of({"redis", "latency", "delay=5"}),
            "unknown key 'delay' for latency (name, direction, toxicity, latency, jitter)");
  EXPECT_EQ(error_of({"redis", "latency", "latency=fast"}), "bad value 'fast' for latency: expected a number");
  EXPECT_EQ(error_of({"redis", "latency", "latency=200ms"}), "bad value '200ms' for latency: expected a number");
  EXPECT_EQ(error_of({"redis", "latency", "latency=nan"}), "bad value 'nan' for latency: expected a number");
  EXPECT_EQ(error_of({"redis", "latency", "latency=-5"}), "latency: -5 is out of range [0, 8.64e+07]");
  EXPECT_EQ(error_of({"redis", "latency", "toxicity=2"}), "toxicity: 2 is out of range [0, 1]");
  EXPECT_EQ(error_of({"redis", "latency", "direction=up"}),
            "direction: expected upstream, downstream or both, got \"up\"");
  EXPECT_EQ(error_of({"redis", "latency", "latency=1", "latency=2"}), "key 'latency' given twice");
  EXPECT_EQ(error_of({"redis", "bandwidth"}), "bandwidth needs rate (KB/s)");
  EXPECT_EQ(error_of({"redis", "clear", "now"}), "'clear' takes no arguments, got 'now'");
  EXPECT_EQ(error_of({"redis", "remove"}), "'remove' takes exactly one toxic NAME");
  EXPECT_EQ(error_of({"list", "all"}), "'list' takes no arguments, got 'all'");
}

TEST(FaultArgs, CustomLinksAndUsage) {
  EXPECT_EQ(parse_fault_command({"pg", "down"}, {"pg"}).link, "pg");
  const std::string usage = fault_usage();
  for (const char* word : {"latency", "jitter", "bandwidth", "rate", "timeout", "reset_peer", "slow_close", "delay", "down"})
    EXPECT_NE(usage.find(word), std::string::npos) << word;
}
