// The console's five-minute memory of frames, and its column-wise JSON.
#include "lab/console/history.hpp"

#include <algorithm>
#include <set>

namespace scalelab::console {
namespace {

nlohmann::json optional(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

void History::add(Frame f) {
  std::lock_guard lock(mu_);
  if (!frames_.empty() && f.t <= frames_.back().t) return;  // a clock step back: keep the series monotonic
  frames_.push_back(std::move(f));
  while (!frames_.empty() && frames_.front().t < frames_.back().t - window_s_) frames_.pop_front();
}

nlohmann::json History::since(double since) const {
  std::lock_guard lock(mu_);
  std::vector<const Frame*> picked;
  std::set<std::string> instance_ids, backend_ids;
  for (const auto& f : frames_) {
    if (f.t <= since) continue;
    picked.push_back(&f);
    for (const auto& [id, _] : f.instances) instance_ids.insert(id);
    for (const auto& [id, _] : f.backends) backend_ids.insert(id);
  }
  nlohmann::json t = nlohmann::json::array(), instances = nlohmann::json::object(), backends = nlohmann::json::object();
  for (const auto& id : instance_ids)
    instances[id] = {{"rps", nlohmann::json::array()},
                     {"error_rate", nlohmann::json::array()},
                     {"p99_ms", nlohmann::json::array()},
                     {"redis_connects", nlohmann::json::array()},
                     {"db_connections", nlohmann::json::array()},
                     {"db_waiting", nlohmann::json::array()}};
  for (const auto& id : backend_ids) backends[id] = {{"rps", nlohmann::json::array()}, {"share", nlohmann::json::array()}};
  for (const Frame* f : picked) {
    t.push_back(f->t);
    for (const auto& id : instance_ids) {
      auto& col = instances[id];
      auto it = f->instances.find(id);
      col["rps"].push_back(it == f->instances.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second.rps));
      col["error_rate"].push_back(it == f->instances.end() ? nlohmann::json(nullptr) : optional(it->second.error_rate));
      col["p99_ms"].push_back(it == f->instances.end() ? nlohmann::json(nullptr) : optional(it->second.p99_ms));
      col["redis_connects"].push_back(it == f->instances.end() ? nlohmann::json(nullptr)
                                                                : nlohmann::json(it->second.redis_connects));
      col["db_connections"].push_back(it == f->instances.end() ? nlohmann::json(nullptr) : optional(it->second.db_connections));
      col["db_waiting"].push_back(it == f->instances.end() ? nlohmann::json(nullptr) : optional(it->second.db_waiting));
    }
    for (const auto& id : backend_ids) {
      auto& col = backends[id];
      auto it = f->backends.find(id);
      col["rps"].push_back(it == f->backends.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second.rps));
      col["share"].push_back(it == f->backends.end() ? nlohmann::json(nullptr) : optional(it->second.share));
    }
  }
  nlohmann::json out = {{"t", t}, {"instances", instances}, {"backends", backends}};
  const bool has_database = std::any_of(picked.begin(), picked.end(), [](const Frame* f) { return f->database.has_value(); });
  if (has_database) {
    nlohmann::json connections = nlohmann::json::array(), budget = nlohmann::json::array();
    for (const Frame* f : picked) {
      connections.push_back(f->database ? optional(f->database->connections) : nlohmann::json(nullptr));
      budget.push_back(f->database ? optional(f->database->budget) : nlohmann::json(nullptr));
    }
    out["lab"] = {{"database", {{"connections", connections}, {"budget", budget}}}};
  }
  return out;
}

}  // namespace scalelab::console
