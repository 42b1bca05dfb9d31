// Parsing and validation for load_config.hpp. Messages are single lines meant to be
// printed after "scalelab: " and understood without reading the source.
#include "lab/load/load_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "common/text.hpp"

namespace scalelab::load {
namespace {

using text::trim;


double parse_number(std::string_view text, const char* what) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < 0)
    throw std::invalid_argument(std::string(what) + " " + in_quotes(text) + " is not a non-negative number");
  return v;
}

}  // namespace

const std::vector<MixEntry>& LoadConfig::effective_mix() const {
  static const std::vector<MixEntry> kDefault = parse_mix(kDefaultMix);
  return mix.empty() ? kDefault : mix;
}

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

std::vector<NamedValue> split_named_values(std::string_view text) {
  std::vector<NamedValue> entries;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    NamedValue entry{trim(part.substr(0, eq)), std::nullopt};
    if (eq != std::string_view::npos) entry.value = trim(part.substr(eq + 1));
    entries.push_back(entry);
  }
  return entries;
}

std::vector<MixEntry> parse_mix(std::string_view text) {
  std::vector<MixEntry> mix;
  unsigned total = 0;
  for (const auto& [name, value] : split_named_values(text)) {
    unsigned weight = 1;
    if (value) {
      const std::string_view w = *value;
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
      if (ec != std::errc() || end != w.data() + w.size() || weight > 1000000)
        throw std::invalid_argument("mix: weight " + in_quotes(w) + " of " + in_quotes(name) +
                                    " is not an integer from 0 to 1000000");
    }
    Scenario s{};
    if (!parse_scenario(name, s))
      throw std::invalid_argument("mix: unknown scenario " + in_quotes(name) +
                                  " (known: session, cart, upload, catalog, ratelimit, work, get)");
    for (const auto& e : mix)
      if (e.scenario == s) throw std::invalid_argument("mix: scenario " + in_quotes(name) + " given twice");
    mix.push_back({s, weight});
    total += weight;
  }
  if (total == 0) throw std::invalid_argument("mix: at least one scenario needs a weight above 0");
  return mix;
}

std::string mix_string(const std::vector<MixEntry>& mix) {
  std::string out;
  for (const auto& e : mix) {
    if (!out.empty()) out += ',';
    out += scenario_name(e.scenario);
    out += '=';
    out += std::to_string(e.weight);
  }
  return out;
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  text = trim(text);
  double scale = 1000;  // bare numbers are seconds
  std::string_view number = text;
  if (text.ends_with("ms")) {
    scale = 1, number = text.substr(0, text.size() - 2);
  } else if (text.ends_with("s")) {
    number = text.substr(0, text.size() - 1);
  } else if (text.ends_with("m")) {
    scale = 60000, number = text.substr(0, text.size() - 1);
  }
  if (number.empty()) throw std::invalid_argument("duration " + in_quotes(text) + " has no number (e.g. 10s, 500ms, 2m)");
  double v = 0;
  try {
    v = parse_number(number, "duration");
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("duration " + in_quotes(text) + " is not like 10s, 500ms, 1.5s or 2m");
  }
  // Past what milliseconds hold, llround's result is unspecified: refuse it by name.
  if (v * scale > 1e15) throw std::invalid_argument("duration " + in_quotes(text) + " is too long (at most about 30,000 years)");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(v * scale)));
}

double parse_rate(std::string_view text) {
  text = trim(text);
  if (text.ends_with("/s")) text.remove_suffix(2);
  return parse_number(text, "rate");
}

std::vector<RateStage> parse_stages(std::string_view text) {
  std::vector<RateStage> stages;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view stage = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (stage.empty()) continue;
    const auto colon = stage.find(':');
    if (colon == std::string_view::npos)
      throw std::invalid_argument("stage " + in_quotes(stage) + " is not DURATION:RATE (e.g. 30s:1000)");
    RateStage s;
    try {
      s.duration = parse_duration(stage.substr(0, colon));
      s.target = parse_rate(stage.substr(colon + 1));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("stage " + in_quotes(stage) + ": " + e.what());
    }
    stages.push_back(s);
  }
  if (stages.empty()) throw std::invalid_argument("stages " + in_quotes(text) + " holds no stage (e.g. 30s:1000,30s:50)");
  return stages;
}

std::string stages_string(const std::vector<RateStage>& stages) {
  std::string out;
  for (const auto& s : stages) {
    if (!out.empty()) out += ',';
    const auto ms = s.duration.count();
    out += (ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms") + ":" + text::number(s.target);
  }
  return out;
}

std::chrono::milliseconds stages_duration(const std::vector<RateStage>& stages) {
  std::chrono::milliseconds total{0};
  for (const auto& s : stages) total += s.duration;
  return total;
}

Target parse_target(std::string_view text) {
  const std::string original(text);
  if (text.starts_with("http://")) text.remove_prefix(7);
  if (text.starts_with("https://"))
    throw std::invalid_argument("target " + in_quotes(original) + ": https is not supported (plain HTTP on loopback)");
  if (text.ends_with("/")) text.remove_suffix(1);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw std::invalid_argument("target " + in_quotes(original) + " is not host:port (e.g. 127.0.0.1:8080)");
  std::string host(text.substr(0, colon));
  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    throw std::invalid_argument("target " + in_quotes(original) + " has no valid port (1-65535)");
  if (host == "localhost") host = "127.0.0.1";
  in_addr addr{};
  if (::inet_pton(AF_INET, host.c_str(), &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127)
    throw std::invalid_argument("target " + in_quotes(original) +
                                " is not on 127.0.0.0/8: scalelab load only drives loopback targets");
  return Target{host, static_cast<std::uint16_t>(port)};
}

void validate(const LoadConfig& c) {
  (void)parse_target(c.target);
  if (c.users == 0 || c.users > 100000) throw std::invalid_argument("users must be from 1 to 100000");
  if (c.threads == 0 || c.threads > 256) throw std::invalid_argument("threads must be from 1 to 256");
  if (c.rate < 0 || !std::isfinite(c.rate) || c.rate > 1e7)
    throw std::invalid_argument("rate must be from 0 to 10000000 per second");
  if (c.duration.count() <= 0) throw std::invalid_argument("duration must be above 0 (a run always ends by itself)");
  for (const auto& s : c.stages) {
    if (s.duration.count() <= 0) throw std::invalid_argument("every stage's duration must be above 0");
    if (s.target < 0 || !std::isfinite(s.target) || s.target > 1e7)
      throw std::invalid_argument("every stage's rate must be from 0 to 10000000 per second");
  }
  if (!c.stages.empty() && c.rate == 0 && std::all_of(c.stages.begin(), c.stages.end(), [](const RateStage& s) { return s.target == 0; }))
    throw std::invalid_argument("stages: the rate is 0 throughout; nothing would be sent");
  if (c.connect_timeout.count() <= 0 || c.response_timeout.count() <= 0)
    throw std::invalid_argument("timeouts must be above 0");
  if (c.upload_bytes == 0 || c.upload_bytes > (16u << 20))
    throw std::invalid_argument("upload size must be from 1 byte to 16 MiB");
  if (c.items == 0) throw std::invalid_argument("items must be at least 1");
  if (c.orders_strategy != "n_plus_one" && c.orders_strategy != "join" && c.orders_strategy != "batched")
    throw std::invalid_argument("orders_strategy must be n_plus_one, join or batched (got '" + c.orders_strategy + "')");
  if (c.orders_limit == 0 || c.orders_limit > 200) throw std::invalid_argument("orders_limit must be from 1 to 200");
  if (c.checkout_items == 0 || c.checkout_items > 100)
    throw std::invalid_argument("checkout_items must be from 1 to 100 (the catalog's items)");
  if (c.work_io_ms > 10000 || c.work_cpu_ms > 10000)
    throw std::invalid_argument("work io_ms and cpu_ms must be from 0 to 10000");
  if (c.path.empty() || c.path.front() != '/' || c.path.find_first_of(" \r\n") != std::string::npos)
    throw std::invalid_argument("path must start with '/' and hold no spaces or line breaks");
  if (c.user_prefix.size() > 40 ||
      c.user_prefix.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") !=
          std::string::npos)
    throw std::invalid_argument("user prefix must be at most 40 characters of [A-Za-z0-9_.@-]");
  unsigned total = 0;
  for (const auto& e : c.effective_mix()) total += e.weight;
  if (total == 0) throw std::invalid_argument("mix: at least one scenario needs a weight above 0");
}

void to_json(nlohmann::json& j, const LoadConfig& c) {
  j = nlohmann::json{
      {"target", c.target},
      {"model", c.open_loop() ? "open" : "closed"},
      {"users", c.users},
      {"rate", c.rate},
      {"stages", stages_string(c.stages)},
      {"threads", c.threads},
      {"duration_s", static_cast<double>(c.duration.count()) / 1000.0},
      {"max_requests", c.max_requests},
      {"think_time_ms", c.think_time.count()},
      {"mix", mix_string(c.effective_mix())},
      {"path", c.path},
      {"work_io_ms", c.work_io_ms},
      {"work_cpu_ms", c.work_cpu_ms},
      {"upload_bytes", c.upload_bytes},
      {"items", c.items},
      {"stale_grace_ms", c.stale_grace.count()},
      {"burst_extra", c.burst_extra},
      {"checkout_items", c.checkout_items},
      {"orders_strategy", c.orders_strategy},
      {"orders_limit", c.orders_limit},
      {"connect_timeout_ms", c.connect_timeout.count()},
      {"response_timeout_ms", c.response_timeout.count()},
      {"seed", c.seed},
  };
}

}  // namespace scalelab::load
