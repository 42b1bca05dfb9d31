// LoadConfig is everything that shapes one load run, as one value type: the `scalelab
// load` command fills it from flags and environment, the experiment runner from a YAML
// file, and the journal echoes it back as JSON. Parsing helpers for the textual forms
// (mix, durations, rates, targets) live here so every front end accepts the same
// spellings and reports the same one-line errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/load/schedule.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

struct MixEntry {
  Scenario scenario;
  unsigned weight;
  bool operator==(const MixEntry&) const = default;
};

inline constexpr const char* kDefaultMix = "session=4,cart=2,upload=1,catalog=2,ratelimit=1,work=0";

struct LoadConfig {
  std::string target = "127.0.0.1:8080";      // host:port or http://host:port, on 127.0.0.0/8
  unsigned users = 10;                        // closed loop: users; open loop: the bound on users/connections
  double rate = 0;                            // open loop requests per second; 0 = closed loop
  // Open loop in stages (k6's ramping-arrival-rate): from `rate`, linearly to each
  // stage's target over its duration; after the last, its target holds to `duration`.
  std::vector<RateStage> stages;
  unsigned threads = 1;                       // one io_context per thread
  std::chrono::milliseconds duration{10000};  // a run always ends by then
  std::uint64_t max_requests = 0;             // 0 = no bound; in-flight requests finish when reached
  std::chrono::milliseconds think_time{0};    // closed loop pause between two scenario runs
  std::vector<MixEntry> mix;                  // empty = kDefaultMix
  std::string path = "/";                     // the `get` scenario's target
  unsigned work_io_ms = 10;                   // the `work` scenario's query
  unsigned work_cpu_ms = 0;
  std::size_t upload_bytes = 4096;  // random bytes per upload
  unsigned items = 100;             // catalog ids used: 1..items
  unsigned checkout_items = 10;     // the checkout scenario buys ids 1..checkout_items (few: they sell out)
  std::string orders_strategy = "join";  // the orders scenario's data-layer pattern: n_plus_one, join, batched
  unsigned orders_limit = 50;            // and how many orders it lists
  std::chrono::milliseconds stale_grace{0};
  unsigned burst_extra = 5;  // the burst sends limit + burst_extra requests
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds response_timeout{10000};
  std::chrono::milliseconds retry_after_cap{1000};  // closed loop: the longest 429 back-off
  std::uint64_t seed = 0;                           // 0 = random
  std::string user_prefix;                          // user names are <prefix><n>; empty = "vu-<random>-"

  const std::vector<MixEntry>& effective_mix() const;
  bool open_loop() const { return rate > 0 || !stages.empty(); }
  RateProfile rate_profile() const { return RateProfile(rate, stages); }
};

// One entry of a comma-separated list of `name` or `name=value` (a mix, the thresholds
// of thresholds.hpp): both trimmed; no value for a bare name.
struct NamedValue {
  std::string_view name;
  std::optional<std::string_view> value;
};
// `s` in single quotes, as the parsers' messages name a bad part.
std::string in_quotes(std::string_view s);
// "session=4, cart" -> {session, 4}, {cart}; empty entries are skipped. Views into `text`.
std::vector<NamedValue> split_named_values(std::string_view text);

// "session=4,cart=2" -> entries; a bare name weighs 1. Throws std::invalid_argument
// naming the bad part (unknown scenario, bad weight, all weights zero).
std::vector<MixEntry> parse_mix(std::string_view text);
std::string mix_string(const std::vector<MixEntry>& mix);

// "500ms", "10s", "1.5s", "2m", or a bare number of seconds. Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(std::string_view text);
// "500" or "500/s". Throws std::invalid_argument.
double parse_rate(std::string_view text);
// "30s:1000,1m:1000,30s:50": each stage's duration and the rate it ramps to. Throws
// std::invalid_argument naming the bad stage.
std::vector<RateStage> parse_stages(std::string_view text);
std::string stages_string(const std::vector<RateStage>& stages);
// The stages' total duration.
std::chrono::milliseconds stages_duration(const std::vector<RateStage>& stages);

struct Target {
  std::string ip;  // dotted IPv4 in 127.0.0.0/8
  std::uint16_t port = 0;
  std::string host_header() const { return ip + ":" + std::to_string(port); }
};
// Accepts host:port or http://host:port[/]; host is an IPv4 address in 127.0.0.0/8 or
// "localhost" (read as 127.0.0.1). Throws std::invalid_argument for anything else, with
// a message that says only loopback targets are allowed.
Target parse_target(std::string_view text);

// Throws std::invalid_argument with a one-line message when the config cannot run.
void validate(const LoadConfig& config);

// The "config" object of LoadResult JSON (also `nlohmann::json j = config;`).
void to_json(nlohmann::json& j, const LoadConfig& config);

}  // namespace scalelab::load
