// JSON for results.hpp. Latencies are rounded to 0.1 µs so the numbers print short
// while keeping the histogram's three significant digits down to 10 µs.
#include "lab/load/results.hpp"

#include <algorithm>
#include <cmath>

namespace scalelab::load {
namespace {

double ms(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10000.0; }

nlohmann::json instances_json(const InstanceCounts& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, n] : counts) j[name.empty() ? "unknown" : name] = n;
  return j;
}

nlohmann::json scenarios_json(const Tally& t) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < t.scenarios.size(); ++i) j[scenario_name(static_cast<Scenario>(i))] = t.scenarios[i];
  return j;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// Bytes a server sent, made safe for JSON: up to `max` of them, each outside printable
// ASCII as '?' (a body or header need not be UTF-8, and the journal must still dump).
std::string printable(std::string_view bytes, std::size_t max) {
  std::string out(bytes.substr(0, max));
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

}  // namespace

LatencySummary LatencySummary::of(const Histogram& h) {
  LatencySummary s;
  s.count = h.count();
  if (s.count == 0) return s;
  s.p50_ms = ms(h.value_at_percentile(50));
  s.p90_ms = ms(h.value_at_percentile(90));
  s.p99_ms = ms(h.value_at_percentile(99));
  s.p999_ms = ms(h.value_at_percentile(99.9));
  s.max_ms = ms(h.max());
  s.mean_ms = ms(static_cast<std::uint64_t>(std::llround(h.mean())));
  return s;
}

void add_instance(InstanceCounts& counts, std::string_view instance, std::uint64_t n) {
  for (auto& [name, c] : counts) {
    if (name == instance) {
      c += n;
      return;
    }
  }
  counts.emplace_back(std::string(instance), n);
}

void to_json(nlohmann::json& j, const LatencySummary& l) {
  j = {{"count", l.count},  {"p50", l.p50_ms}, {"p90", l.p90_ms},  {"p99", l.p99_ms},
       {"p999", l.p999_ms}, {"max", l.max_ms}, {"mean", l.mean_ms}};
}

FailedRequest FailedRequest::of(double t_s, std::string_view method, std::string_view target, const Response& r) {
  FailedRequest f;
  f.t_s = t_s;
  f.method = method;
  f.target = target;
  f.status = r.status;
  f.transport = r.transport;
  f.instance = printable(r.instance, 100);
  f.request_id = printable(r.request_id, 100);
  if (r.transport != Transport::none) return f;
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  auto text = [&](const char* key) {
    auto it = body.is_object() ? body.find(key) : body.end();
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  f.error = text("error");
  f.detail = text("detail");
  if (f.error.empty() && f.detail.empty()) f.detail = printable(r.body, 200);
  return f;
}

void keep_failures(std::vector<FailedRequest>& kept, const std::vector<FailedRequest>& more) {
  for (const auto& f : more) {
    if (kept.size() >= kFailuresKept) return;
    kept.push_back(f);
  }
}

void keep_violations(std::vector<FailedRequest>& kept, const std::vector<FailedRequest>& more) {
  for (const auto& v : more) {
    const auto same_kind = std::count_if(kept.begin(), kept.end(), [&](const FailedRequest& k) { return k.error == v.error; });
    if (static_cast<std::size_t>(same_kind) < kViolationsKeptPerKind) kept.push_back(v);
  }
}

void to_json(nlohmann::json& j, const FailedRequest& f) {
  j = {{"t_s", round3(f.t_s)}, {"method", f.method},     {"target", f.target},
       {"error", f.error},     {"detail", f.detail},     {"instance", f.instance},
       {"request_id", f.request_id}};
  if (f.transport != Transport::none)
    j["transport"] = transport_name(f.transport);
  else
    j["status"] = f.status;
}

void to_json(nlohmann::json& j, const Sample& s) {
  j = counts_json(s.counts);
  j["t"] = s.t;
  j["elapsed_s"] = round3(s.elapsed_s);
  j["interval_s"] = round3(s.interval_s);
  j["rps"] = round3(s.rps());
  if (s.scheduled_rps) j["scheduled_rps"] = round3(*s.scheduled_rps);
  j["latency_ms"] = s.latency;
  if (s.cold_starts.count > 0) j["cold_start_ms"] = s.cold_starts;
  j["instances"] = instances_json(s.instances);
}

void to_json(nlohmann::json& j, const LoadResult& r) {
  nlohmann::json totals = counts_json(r.totals);
  totals["rps"] = round3(r.rps());
  // Open loop: what the schedule asked for by the end, beside `requests`.
  if (r.config.open_loop()) totals["scheduled_requests"] = std::llround(r.config.rate_profile().arrivals_by(r.duration_s));
  totals["latency_ms"] = r.latency;
  totals["cold_start_ms"] = r.cold_starts;
  totals["instances"] = instances_json(r.instances);
  totals["scenarios"] = scenarios_json(r.totals);
  if (r.totals.scenarios[static_cast<std::size_t>(Scenario::checkout)] > 0) {
    nlohmann::json checkouts = nlohmann::json::object();
    for (std::size_t i = 0; i < r.totals.checkouts.size(); ++i)
      checkouts[checkout_name(static_cast<Checkout>(i))] = r.totals.checkouts[i];
    totals["checkouts"] = std::move(checkouts);
  }
  if (r.totals.order_listings > 0)
    totals["order_listings"] = {{"count", r.totals.order_listings},
                                {"db_queries", r.totals.order_listing_queries},
                                {"queries_per_listing", round3(static_cast<double>(r.totals.order_listing_queries) /
                                                               static_cast<double>(r.totals.order_listings))}};
  j = {{"config", r.config},           {"started_at", r.started_at},           {"duration_s", round3(r.duration_s)},
       {"stop_reason", r.stop_reason}, {"target_answered", r.target_answered}, {"totals", std::move(totals)},
       {"samples", r.samples},         {"failures", r.failures},               {"violations", r.violations}};
  if (!r.stock.empty()) j["stock"] = r.stock;
}

}  // namespace scalelab::load
