// Builders for journal_fixtures.hpp. Numbers are made up but shaped like a real run:
// ~900 requests/s over three instances, an instance's share dropping to zero when it
// is killed, latency spiking at the kill.
#include "tests/experiment/journal_fixtures.hpp"

#include <cmath>

namespace scalelab::testkit {
namespace {

using nlohmann::json;

json sample(int t, const std::string& mode) {
  const bool app2_down = t > 10 && t <= 21;
  const double per_instance = 300;
  const double app2 = app2_down ? 0 : per_instance;
  const double requests = 2 * per_instance + app2 + (t == 11 ? 14 : 0);
  const double errors = t == 11 ? 14 : 0;
  double session_lost = 0, cart_lost = 0;
  if (mode == "local" && t > 10) session_lost = 70 + (t % 3) * 5, cart_lost = t % 4 == 0 ? 3 : 0;
  if (mode == "local+sticky" && t > 10 && t < 14) session_lost = 40;
  return {{"t", t},
          {"elapsed_s", static_cast<double>(t)},
          {"interval_s", 1.0},
          {"requests", requests},
          {"responses", requests - errors},
          {"errors", errors},
          {"rps", requests},
          {"status", {{"1xx", 0}, {"2xx", requests - errors - session_lost}, {"3xx", 0}, {"4xx", session_lost},
                      {"5xx", 0}, {"429", 0}, {"503", 0}}},
          {"transport", {{"refused", errors}, {"reset", 0}, {"timeout", 0}, {"protocol", 0}, {"other", 0}}},
          {"violations", {{"session_lost", session_lost}, {"cart_lost_write", cart_lost}, {"upload_missing", 0},
                          {"upload_corrupt", 0}, {"stale_read", 0}, {"rate_limit_exceeded", 0}}},
          {"checks", {{"session", 200}, {"cart", 80}, {"upload", 20}, {"item", 60}, {"ratelimit", 40}}},
          {"latency_ms", {{"count", requests - errors}, {"p50", 0.4 + 0.01 * t}, {"p90", 0.9},
                          {"p99", t == 11 ? 180.0 : 2.1 + 0.05 * t}, {"p999", 4.0}, {"max", 7.3}, {"mean", 0.52}}},
          {"instances", {{"app-1", per_instance}, {"app-2", app2}, {"app-3", per_instance}}}};
}

json probe(const std::string& name, const std::string& type, const std::string& kind, const std::string& window,
           json tolerance, json value, bool met, const std::string& detail) {
  json p = {{"name", name},         {"type", type},   {"window", window}, {"tolerance", std::move(tolerance)},
            {"value", std::move(value)}, {"met", met}, {"detail", detail}};
  if (!kind.empty()) p["kind"] = kind;
  return p;
}

json action(const std::string& name, const std::string& type, json args, std::optional<double> at, double started,
            const std::string& detail) {
  json a = {{"name", name},       {"type", type},      {"args", std::move(args)}, {"started_s", started},
            {"ended_s", started + 0.008}, {"status", "succeeded"}, {"detail", detail}};
  if (at) a["at_s"] = *at;
  return a;
}

}  // namespace

json realistic_journal(const std::string& mode) {
  const bool shared = mode == "shared";
  json series = json::array();
  double session_lost = 0;
  for (int t = 1; t <= 30; ++t) {
    series.push_back(sample(t, mode));
    session_lost += series.back()["violations"]["session_lost"].get<double>();
  }
  const bool deviated = session_lost > 0;
  // The first violations the load kept, as lab/load writes them (only when there were any).
  json kept = json::array();
  if (mode == "local")
    kept = {{{"t_s", 11.204}, {"method", "GET"}, {"target", "/api/me"}, {"status", 401}, {"error", "session_lost"},
             {"detail", ""}, {"instance", "app-3"}, {"request_id", "app-3-9f2c"}},
            {{"t_s", 12.017}, {"method", "GET"}, {"target", "/api/cart"}, {"status", 200}, {"error", "cart_lost_write"},
             {"detail", "2 lines answered, 3 acknowledged"}, {"instance", "app-1"}, {"request_id", "app-1-77aa"}}};
  json state = shared ? json{{"sessions", "shared"}, {"cache", "shared"}, {"uploads", "shared"}, {"ratelimit", "shared"}}
                      : json{{"sessions", "local"}, {"cache", "local"}, {"uploads", "local"}, {"ratelimit", "local"}};
  json latency_probe =
      probe("p99 under 250 ms", "latency", "", "whole", {{"max", 250}}, 180.0, true, "highest p99 180 ms at 11 s");
  latency_probe["percentile"] = 99;
  const std::string lost_detail = std::to_string(static_cast<int>(session_lost)) + " session_lost in 6000 session checks";
  json journal = {
      {"schema", "scalelab.journal/1"},
      {"experiment",
       {{"title", "Kill one of three instances under load"},
        {"description", "An instance dies mid-run; with local state its sessions die with it."},
        {"tags", {"chaos", "kill", mode}},
        {"file", "experiments/kill-one-of-three.yaml"},
        {"cluster", {{"instances", 3}, {"state", state}, {"balancer", mode == "local+sticky" ? "sticky" : "round_robin"},
                     {"restart", "never"}, {"restart_delay_ms", 1000}, {"app_env", json::object()}}},
        {"load", {{"users", 20}, {"rate", 0}, {"threads", 1}, {"duration_s", 30.0},
                  {"mix", "session=4,cart=2,upload=1,catalog=2,ratelimit=1"}}}}},
      {"label", mode},
      {"started_at", "2026-11-26T09:00:00.000Z"},
      {"ended_at", "2026-11-26T09:00:34.200Z"},
      {"duration_s", 34.2},
      {"t0_unix", 1795683600.25},
      {"lab", {{"dir", "/tmp/x/.scalelab"}, {"base_port", 8080}}},
      {"hypothesis",
       {{"title", "Every acknowledged write survives"},
        {"before", {{"met", true},
                    {"probes", {probe("every instance ready", "ready", "", "before", {{"equals", true}}, true, true,
                                      "3 of 3 ready"),
                                probe("no lost sessions", "violations", "session_lost", "before", {{"max", 0}}, 0, true,
                                      "0 session_lost")}}}},
        {"after", {{"met", !deviated},
                   {"probes", {probe("no lost sessions", "violations", "session_lost", "whole", {{"max", 0}},
                                     session_lost, !deviated, lost_detail),
                               probe("few errors", "error_rate", "", "whole", {{"max", 0.01}}, 0.0005, true,
                                     "14 of 26000 requests failed"),
                               latency_probe}}}}}},
      {"actions", {action(kKillAction, "kill", {{"id", "app-2"}, {"signal", "KILL"}}, 10.0, 10.002,
                          "sent SIGKILL to app-2 (pid 4242)"),
                   action(kRestartAction, "restart", {{"id", "app-2"}}, 20.0, 20.001, "app-2 started (pid 4300)")}},
      {"rollbacks", {action(kRollbackAction, "scale", {{"instances", 3}}, std::nullopt, 30.6, "already 3 instances")}},
      {"events", {{{"t_s", -2.5}, {"kind", "ready"}, {"component", "app-1"}, {"detail", "readyz 200"}},
                  {{"t_s", 10.004}, {"kind", "exit"}, {"component", "app-2"}, {"detail", "signal KILL (scalelab kill)"}},
                  {{"t_s", 10.6}, {"kind", "removed"}, {"component", "app-2"}, {"detail", "out of the balancer"}},
                  {{"t_s", 20.003}, {"kind", "spawn"}, {"component", "app-2"}, {"detail", "pid 4300"}},
                  {{"t_s", 21.2}, {"kind", "ready"}, {"component", "app-2"}, {"detail", "readyz 200"}}}},
      {"series", series},
      {"load", {{"started_at", "2026-11-26T09:00:00.250Z"}, {"duration_s", 30.0}, {"stop_reason", "duration"},
                {"target_answered", true},
                {"failures", {{{"t_s", 10.012}, {"method", "GET"}, {"target", "/api/me"}, {"status", 503},
                               {"error", "no_backends"}, {"detail", "no backend is available"}, {"instance", ""},
                               {"request_id", "b-42"}},
                              {{"t_s", 10.02}, {"method", "POST"}, {"target", "/api/cart/items"},
                               {"transport", "reset"}, {"error", ""}, {"detail", ""}, {"instance", ""},
                               {"request_id", ""}}}}}},
      {"verdict", {{"deviated", deviated},
                   {"status", deviated ? "deviated" : "completed"},
                   {"summary", deviated ? "session_lost " + std::to_string(static_cast<int>(session_lost)) + " > 0"
                                        : "every probe within tolerance"},
                   {"error", ""}}}};
  if (!kept.empty()) journal["load"]["violations"] = kept;
  return journal;
}

json empty_journal() {
  return {{"schema", "scalelab.journal/1"},
          {"experiment", {{"title", "Nothing ran"}}},
          {"series", json::array()},
          {"verdict", {{"deviated", true}, {"status", "aborted"}, {"summary", ""},
                       {"error", "lab did not become ready within 15 s"}}}};
}

json hostile_journal() {
  json j = realistic_journal("local");
  const std::string h = kHostile;
  j["experiment"]["title"] = h;
  j["experiment"]["description"] = h;
  j["experiment"]["tags"] = {h, "ok"};
  j["experiment"]["file"] = h;
  j["experiment"]["cluster"]["balancer"] = h;
  j["experiment"]["cluster"]["app_env"] = {{h, h}};
  j["experiment"]["load"]["mix"] = h;
  j["label"] = h;
  j["started_at"] = h;
  j["lab"]["dir"] = h;
  j["hypothesis"]["title"] = h;
  for (auto& p : j["hypothesis"]["after"]["probes"]) p["name"] = h, p["detail"] = h;
  for (auto& a : j["actions"]) a["name"] = h, a["detail"] = h, a["args"]["id"] = h;
  for (auto& e : j["events"]) e["kind"] = h, e["component"] = h, e["detail"] = h;
  for (auto& f : j["load"]["failures"]) f["target"] = h, f["error"] = h, f["detail"] = h, f["instance"] = h;
  for (auto& v : j["load"]["violations"]) v["target"] = h, v["detail"] = h, v["instance"] = h, v["request_id"] = h;
  for (auto& s : j["series"]) {
    s["violations"][h] = 1;
    s["instances"][h] = 5;
  }
  j["verdict"]["summary"] = h;
  j["verdict"]["error"] = h;
  return j;
}

json demo_document() {
  return {{"schema", "scalelab.demo/1"},
          {"started_at", "2026-11-26T09:00:00.000Z"},
          {"duration_s", 84.0},
          {"runs", {realistic_journal("shared"), realistic_journal("local"), realistic_journal("local+sticky")}},
          {"conclusions", {{"shared", "no violations: any instance can serve any request"},
                           {"local", "sessions lost on 36 % of session reads after the kill"},
                           {"local+sticky", "sticky sessions hide the problem until the pinned instance dies"}}}};
}

}  // namespace scalelab::testkit
