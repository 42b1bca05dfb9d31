// Parsing of the textual forms every front end shares, and the loopback-only rule.
#include <gtest/gtest.h>

#include <stdexcept>

#include "lab/load/load_config.hpp"

using namespace scalelab::load;
using namespace std::chrono_literals;

TEST(LoadConfig, ParsesMixes) {
  const auto mix = parse_mix("session=4,cart=2, upload=1 ,catalog=2,ratelimit=1,work=0");
  ASSERT_EQ(mix.size(), 6u);
  EXPECT_EQ(mix[0], (MixEntry{Scenario::session, 4}));
  EXPECT_EQ(mix[5], (MixEntry{Scenario::work, 0}));
  EXPECT_EQ(mix_string(mix), "session=4,cart=2,upload=1,catalog=2,ratelimit=1,work=0");
  EXPECT_EQ(parse_mix("get")[0], (MixEntry{Scenario::get, 1}));
  EXPECT_THROW(parse_mix("nope=1"), std::invalid_argument);
  EXPECT_THROW(parse_mix("get=x"), std::invalid_argument);
  EXPECT_THROW(parse_mix("get=0"), std::invalid_argument);
  EXPECT_THROW(parse_mix("get=1,get=2"), std::invalid_argument);
  EXPECT_THROW(parse_mix(""), std::invalid_argument);
}

TEST(LoadConfig, SplitsNamedValueLists) {
  const auto entries = split_named_values(" session=4 ,, cart , upload= 1% ,=x");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "session");
  EXPECT_EQ(entries[0].value, "4");
  EXPECT_EQ(entries[1].name, "cart");
  EXPECT_FALSE(entries[1].value.has_value());
  EXPECT_EQ(entries[2].name, "upload");
  EXPECT_EQ(entries[2].value, "1%");
  EXPECT_EQ(entries[3].name, "");
  EXPECT_EQ(entries[3].value, "x");
  EXPECT_TRUE(split_named_values(" , ").empty());
}

TEST(LoadConfig, ParsesDurationsAndRates) {
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("3"), 3s);
  EXPECT_THROW(parse_duration("soon"), std::invalid_argument);
  EXPECT_THROW(parse_duration("-1s"), std::invalid_argument);
  EXPECT_THROW(parse_duration("ms"), std::invalid_argument);
  EXPECT_THROW(parse_duration("1e30s"), std::invalid_argument) << "a hostile stage: not an overflow into a negative";
  EXPECT_THROW(parse_stages("1e30s:5"), std::invalid_argument);
  EXPECT_DOUBLE_EQ(parse_rate("500/s"), 500.0);
  EXPECT_DOUBLE_EQ(parse_rate("2.5"), 2.5);
  EXPECT_THROW(parse_rate("fast"), std::invalid_argument);
}

TEST(LoadConfig, ParsesStagesAndRefusesRatesThatSendNothing) {
  const auto stages = parse_stages("30s:1000, 1m:1000/s,500ms:50");
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0], (RateStage{30s, 1000.0}));
  EXPECT_EQ(stages[1], (RateStage{60s, 1000.0}));
  EXPECT_EQ(stages[2], (RateStage{500ms, 50.0}));
  EXPECT_EQ(stages_string(stages), "30s:1000,60s:1000,500ms:50");
  EXPECT_EQ(stages_duration(stages), 90500ms);
  auto message = [](const char* text) {
    try {
      parse_stages(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message("30s"), "stage '30s' is not DURATION:RATE (e.g. 30s:1000)");
  EXPECT_NE(message("soon:5").find("stage 'soon:5': duration"), std::string::npos) << message("soon:5");
  EXPECT_NE(message("5s:fast").find("stage '5s:fast'"), std::string::npos);
  EXPECT_NE(message(" , ").find("holds no stage"), std::string::npos);
  LoadConfig c;
  c.stages = {{5s, 0.0}};
  EXPECT_THROW(validate(c), std::invalid_argument) << "a rate of 0 throughout sends nothing";
  c.rate = 10;
  EXPECT_NO_THROW(validate(c));
  EXPECT_TRUE(c.open_loop());
  c.stages = {{0ms, 10.0}};
  EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(LoadConfig, OnlyLoopbackTargets) {
  EXPECT_EQ(parse_target("127.0.0.1:8080").host_header(), "127.0.0.1:8080");
  EXPECT_EQ(parse_target("http://127.1.2.3:80/").ip, "127.1.2.3");
  EXPECT_EQ(parse_target("localhost:9000").ip, "127.0.0.1");
  for (const char* bad : {"10.0.0.1:80", "example.com:80", "[::1]:80", "0.0.0.0:80", "128.0.0.1:80", "127.0.0.1",
                          "127.0.0.1:0", "127.0.0.1:70000", "https://127.0.0.1:443"}) {
    EXPECT_THROW(parse_target(bad), std::invalid_argument) << bad;
  }
  try {
    parse_target("192.168.1.10:8080");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.0/8"), std::string::npos);
  }
}

TEST(LoadConfig, ValidateRejectsRunsThatCannotEnd) {
  LoadConfig c;
  EXPECT_NO_THROW(validate(c));
  c.duration = 0ms;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = LoadConfig{};
  c.target = "8.8.8.8:53";
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = LoadConfig{};
  c.path = "no-slash";
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = LoadConfig{};
  c.users = 0;
  EXPECT_THROW(validate(c), std::invalid_argument);
}
