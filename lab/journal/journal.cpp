// journal.hpp's derived values and the kind names the load generator uses.
#include "lab/journal/journal.hpp"

#include <algorithm>
#include <cmath>

namespace scalelab::journal {

bool Tolerance::accepts(double value) const {
  if (equals) return (value != 0) == *equals;
  if (max && value > *max) return false;
  if (min && value < *min) return false;
  return true;
}

Count count_of(const Counts& counts, const std::string& name) {
  const auto it = counts.find(name);
  return it == counts.end() ? 0.0 : it->second;
}

std::string Action::label(std::size_t index) const {
  if (!name.empty()) return name;
  return type.empty() ? "action " + std::to_string(index + 1) : type;
}

std::string FailedRequest::outcome() const {
  if (status) return std::to_string(*status);
  return transport.value_or("");
}

std::string app_model(const Journal& run) {
  const auto& env = run.experiment.cluster.value("app_env", nlohmann::json::object());
  return env.value("SCALELAB_APP_MODEL", std::string("pool"));
}

Tally series_sum(const std::vector<Sample>& series) {
  Tally sum;
  for (const Sample& s : series) {
    sum.requests += s.counts.requests;
    sum.errors += s.counts.errors;
    for (const auto& [kind, n] : s.counts.violations) sum.violations[kind] += n;
    for (const auto& [kind, n] : s.counts.checks) sum.checks[kind] += n;
  }
  return sum;
}

Totals Journal::totals() const {
  Totals t;
  for (const Sample& s : series) {
    t.load_seconds = std::max(t.load_seconds, s.elapsed_s);
    if (std::isfinite(s.latency.p99)) t.worst_p99_ms = std::max(t.worst_p99_ms, s.latency.p99);
  }
  const Tally counts = load && load->totals ? load->totals->counts : series_sum(series);
  t.requests = counts.requests;
  t.errors = counts.errors;
  t.violations = counts.violations;
  t.checks = counts.checks;
  return t;
}

const std::vector<FailedRequest>& Journal::failures() const {
  static const std::vector<FailedRequest> kNone;
  return load ? load->failures : kNone;
}

const std::vector<FailedRequest>& Journal::violations() const {
  static const std::vector<FailedRequest> kNone;
  return load ? load->violations : kNone;
}

std::string check_kind_of(const std::string& violation_kind) {
  static const std::map<std::string, std::string> kChecks = {
      {"session_lost", "session"}, {"cart_lost_write", "cart"}, {"upload_missing", "upload"},
      {"upload_corrupt", "upload"}, {"stale_read", "item"},     {"rate_limit_exceeded", "ratelimit"},
      {"order_lost", "order"},      {"double_order", "order"},  {"oversold", "stock"}};
  const auto it = kChecks.find(violation_kind);
  return it == kChecks.end() ? "" : it->second;
}

const std::vector<std::string>& known_violation_kinds() {
  static const std::vector<std::string> kKinds = {"session_lost",   "cart_lost_write", "upload_missing",
                                                  "upload_corrupt", "stale_read",      "rate_limit_exceeded",
                                                  "order_lost",     "double_order",    "oversold"};
  return kKinds;
}

const std::vector<std::string>& known_check_kinds() {
  static const std::vector<std::string> kKinds = {"session", "cart", "upload", "item", "ratelimit", "order", "stock"};
  return kKinds;
}

std::vector<std::string> in_reading_order(std::set<std::string> kinds) {
  std::vector<std::string> ordered;
  for (const std::string& kind : known_violation_kinds()) {
    if (kinds.erase(kind) > 0) ordered.push_back(kind);
  }
  ordered.insert(ordered.end(), kinds.begin(), kinds.end());
  return ordered;
}

}  // namespace scalelab::journal
