#include "lab/supervisor/autoscale_metrics.hpp"

#include <charconv>

#include <httplib.h>

namespace scalelab::lab {

std::string scrape_metrics(std::uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 300000);
  client.set_read_timeout(0, 500000);
  client.set_keep_alive(false);
  auto r = client.Get("/metrics");
  return r && r->status == 200 ? r->body : std::string();
}

std::optional<double> sum_of_metric(std::string_view exposition, std::string_view name) {
  std::optional<double> sum;
  std::size_t start = 0;
  while (start < exposition.size()) {
    std::size_t end = exposition.find('\n', start);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(start, end - start);
    start = end + 1;
    // "name value" or "name{labels} value"; a longer name that starts alike is another metric.
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    std::size_t value_at = name.size();
    if (next == '{') {
      const std::size_t close = line.rfind('}');
      if (close == std::string_view::npos) continue;
      value_at = close + 1;
    }
    std::string_view rest = line.substr(value_at);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    rest = rest.substr(0, rest.find(' '));  // a timestamp may follow
    try {
      const double v = std::stod(std::string(rest));
      sum = sum.value_or(0) + v;
    } catch (const std::exception&) {
      continue;
    }
  }
  return sum;
}

std::optional<double> AutoscaleMetrics::rate(const std::string& key, double counter, Clock::time_point now) {
  const auto previous = last_.find(key);
  std::optional<double> result;
  if (previous != last_.end()) {
    const double seconds = std::chrono::duration<double>(now - previous->second.at).count();
    // A counter that went down belongs to a restarted process: start again from it.
    if (seconds > 0 && counter >= previous->second.counter) result = (counter - previous->second.counter) / seconds;
  }
  last_[key] = {counter, now};
  return result;
}

AutoscaleMetrics::Demand AutoscaleMetrics::demand(const std::optional<nlohmann::json>& backends,
                                                 Clock::time_point now) {
  Demand d;
  if (!backends || !backends->is_object()) return d;
  const auto number = [&](const char* key) {
    const auto it = backends->find(key);
    return it != backends->end() && it->is_number() ? it->get<double>() : 0.0;
  };
  d.waiting = number("activation_waiting");
  const double received = number("requests_received_total");
  const auto previous = last_.find("balancer received");
  const bool moved = previous == last_.end() || received != previous->second.counter;
  last_["balancer received"] = {received, now};
  double in_flight = 0;
  if (const auto list = backends->find("backends"); list != backends->end() && list->is_array())
    for (const auto& b : *list)
      if (const auto f = b.find("in_flight"); f != b.end() && f->is_number()) in_flight += f->get<double>();
  d.requests_seen = moved || d.waiting > 0 || in_flight > 0;
  return d;
}

std::vector<double> AutoscaleMetrics::sample(const AutoscalePolicy& policy, const std::vector<Instance>& instances,
                                             const std::optional<nlohmann::json>& backends, Clock::time_point now) {
  auto backend = [&](const std::string& id) -> const nlohmann::json* {
    if (!backends || !backends->is_object() || !(*backends)["backends"].is_array()) return nullptr;
    for (const auto& b : (*backends)["backends"])
      if (b.value("id", "") == id) return &b;
    return nullptr;
  };
  std::vector<double> values;
  for (const auto& instance : instances) {
    std::optional<double> value;
    switch (policy.metric) {
      case MetricKind::in_flight:
        if (const auto* b = backend(instance.id)) value = (*b)["in_flight"].get<double>();
        break;
      case MetricKind::rps:
        if (const auto* b = backend(instance.id))
          value = rate(instance.id + " requests", (*b)["requests_total"].get<double>(), now);
        break;
      case MetricKind::cpu:
        if (const auto seconds = process_cpu_seconds(instance.pid))
          value = rate(instance.id + " cpu " + std::to_string(instance.pid), *seconds, now);
        break;
      case MetricKind::custom: {
        // A counter (a name ending in _total) acts through its rate; anything else is a gauge.
        const auto reading = sum_of_metric(scrape_metrics(instance.port), policy.custom_metric);
        if (reading && policy.custom_metric.ends_with("_total"))
          value = rate(instance.id + " " + policy.custom_metric, *reading, now);
        else
          value = reading;
        break;
      }
    }
    if (value) values.push_back(*value);
  }
  return values;
}

}  // namespace scalelab::lab
