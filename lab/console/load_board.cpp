// Validates posted load samples and keeps the current run's totals.
#include "lab/console/load_board.hpp"

#include <stdexcept>

namespace scalelab::console {
namespace {

using nlohmann::json;

double number(const json& sample, const char* key) {
  if (!sample.contains(key)) return 0;
  const auto& v = sample[key];
  if (!v.is_number()) throw std::invalid_argument(std::string("\"") + key + "\" must be a number");
  return v.get<double>();
}

// Checks that `sample[key]`, when present, maps names to numbers, and returns it.
json counts(const json& sample, const char* key, bool required) {
  if (!sample.contains(key)) {
    if (required) throw std::invalid_argument(std::string("a load sample needs \"") + key + "\" (lab/load/README.md)");
    return json::object();
  }
  const auto& v = sample[key];
  if (!v.is_object()) throw std::invalid_argument(std::string("\"") + key + "\" must be an object of counts");
  for (const auto& [name, n] : v.items())
    if (!n.is_number()) throw std::invalid_argument(std::string("\"") + key + "." + name + "\" must be a number");
  return v;
}

void accumulate(json& into, const json& counts) {
  for (const auto& [name, n] : counts.items()) into[name] = into.value(name, 0.0) + n.get<double>();
}

double sum(const json& counts) {
  double s = 0;
  for (const auto& [_, n] : counts.items()) s += n.get<double>();
  return s;
}

}  // namespace

void LoadBoard::add(const json& sample, const std::string& source, double now) {
  if (!sample.is_object()) throw std::invalid_argument("a load sample is a JSON object (lab/load/README.md)");
  const double t = number(sample, "t");
  const double requests = number(sample, "requests"), errors = number(sample, "errors"), rps = number(sample, "rps");
  const json violations = counts(sample, "violations", true);
  const json checks = counts(sample, "checks", false), status = counts(sample, "status", false),
             transport = counts(sample, "transport", false);
  double p99 = 0;
  if (sample.contains("latency_ms")) {
    const json latency = counts(sample, "latency_ms", false);
    p99 = latency.value("p99", 0.0);
  }

  std::lock_guard lock(mu_);
  const bool new_run = run_.is_null() || source != source_ || t <= last_t_ || now - last_received_ > 30;
  if (new_run) {
    run_ = {{"started", now}, {"samples", 0}, {"requests", 0.0}, {"errors", 0.0}, {"violations", json::object()},
            {"checks", json::object()}, {"status", json::object()}, {"transport", json::object()}};
    history_.clear();
  }
  source_ = source;
  last_t_ = t;
  last_received_ = now;
  latest_ = sample;
  run_["samples"] = run_["samples"].get<int>() + 1;
  run_["requests"] = run_["requests"].get<double>() + requests;
  run_["errors"] = run_["errors"].get<double>() + errors;
  accumulate(run_["violations"], violations);
  accumulate(run_["checks"], checks);
  accumulate(run_["status"], status);
  accumulate(run_["transport"], transport);
  history_.push_back({now, rps, errors, sum(violations), p99});
  while (!history_.empty() && history_.front().t < now - 300) history_.pop_front();
}

json LoadBoard::to_json(double now) const {
  std::lock_guard lock(mu_);
  if (run_.is_null()) return {{"active", false}};
  json h = {{"t", json::array()}, {"rps", json::array()}, {"errors", json::array()}, {"violations", json::array()}, {"p99_ms", json::array()}};
  for (const auto& p : history_) {
    h["t"].push_back(p.t);
    h["rps"].push_back(p.rps);
    h["errors"].push_back(p.errors);
    h["violations"].push_back(p.violations);
    h["p99_ms"].push_back(p.p99_ms);
  }
  return {{"active", now - last_received_ <= kActiveFor},
          {"source", source_},
          {"age_s", now - last_received_},
          {"run", run_},
          {"latest", latest_},
          {"history", h}};
}

}  // namespace scalelab::console
