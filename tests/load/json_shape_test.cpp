// The JSON shapes of Sample and LoadResult, as documented in lab/load/README.md: the
// experiment journal and the HTML report read these keys.
#include <gtest/gtest.h>

#include "lab/load/results.hpp"

using namespace scalelab::load;
using nlohmann::json;

namespace {

Sample sample() {
  Sample s;
  s.t = 3;
  s.elapsed_s = 3.0;
  s.interval_s = 1.0;
  s.counts.requests = 120;
  s.counts.responses = 118;
  s.counts.status[static_cast<std::size_t>(StatusClass::s2xx)] = 100;
  s.counts.status[static_cast<std::size_t>(StatusClass::s4xx)] = 10;
  s.counts.status[static_cast<std::size_t>(StatusClass::s429)] = 4;
  s.counts.status[static_cast<std::size_t>(StatusClass::s5xx)] = 8;
  s.counts.status[static_cast<std::size_t>(StatusClass::s503)] = 8;
  s.counts.transport[static_cast<std::size_t>(Transport::reset)] = 2;
  s.counts.add(Violation::session_lost, 6);
  s.counts.add(Check::session, 9);
  s.counts.scenarios[static_cast<std::size_t>(Scenario::session)] = 5;
  Histogram h;
  for (int i = 1; i <= 100; ++i) h.record(static_cast<std::uint64_t>(i) * 1'000'000);
  s.latency = LatencySummary::of(h);
  add_instance(s.instances, "app-1", 60);
  add_instance(s.instances, "app-2", 58);
  return s;
}

void expect_counts_shape(const json& j) {
  for (const char* key : {"requests", "responses", "errors", "failed_reads"})
    EXPECT_TRUE(j.at(key).is_number_unsigned()) << key;
  for (const char* key : {"1xx", "2xx", "3xx", "4xx", "5xx", "429", "503"})
    EXPECT_TRUE(j.at("status").at(key).is_number_unsigned()) << key;
  for (const char* key : {"refused", "reset", "timeout", "protocol", "other"})
    EXPECT_TRUE(j.at("transport").at(key).is_number_unsigned()) << key;
  EXPECT_EQ(j.at("transport").size(), 5u);
  for (const char* key :
       {"session_lost", "cart_lost_write", "upload_missing", "upload_corrupt", "stale_read", "rate_limit_exceeded",
        "order_lost", "double_order", "oversold"})
    EXPECT_TRUE(j.at("violations").at(key).is_number_unsigned()) << key;
  for (const char* key : {"session", "cart", "upload", "item", "ratelimit", "order", "stock"})
    EXPECT_TRUE(j.at("checks").at(key).is_number_unsigned()) << key;
  for (const char* key : {"count", "p50", "p90", "p99", "p999", "max", "mean"})
    EXPECT_TRUE(j.at("latency_ms").at(key).is_number()) << key;
  EXPECT_TRUE(j.at("instances").is_object());
}

}  // namespace

TEST(JsonShape, Sample) {
  const json j = sample();
  expect_counts_shape(j);
  EXPECT_EQ(j.at("t"), 3);
  EXPECT_DOUBLE_EQ(j.at("elapsed_s").get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j.at("interval_s").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j.at("rps").get<double>(), 120.0);
  EXPECT_EQ(j.at("errors"), 10);  // 2 transport + 8 5xx
  EXPECT_EQ(j.at("violations").at("session_lost"), 6);
  EXPECT_EQ(j.at("checks").at("session"), 9);
  EXPECT_EQ(j.at("instances").at("app-1"), 60);
  EXPECT_NEAR(j.at("latency_ms").at("p50").get<double>(), 50.0, 0.05);  // within 0.1 %
  EXPECT_NEAR(j.at("latency_ms").at("p99").get<double>(), 99.0, 0.1);
  EXPECT_DOUBLE_EQ(j.at("latency_ms").at("max").get<double>(), 100.0);
  EXPECT_FALSE(j.contains("scenarios"));
}

TEST(JsonShape, LoadResult) {
  LoadResult r;
  r.config.users = 7;
  r.config.mix = parse_mix("session=1,get=2");
  r.started_at = "2026-11-26T08:00:00.000Z";
  r.duration_s = 2.0;
  r.stop_reason = "duration";
  r.target_answered = true;
  r.samples = {sample(), sample()};
  for (const auto& s : r.samples) r.totals.merge(s.counts);
  r.latency = r.samples[0].latency;
  r.instances = r.samples[0].instances;
  const json j = r;
  EXPECT_EQ(j.at("started_at"), "2026-11-26T08:00:00.000Z");
  EXPECT_EQ(j.at("stop_reason"), "duration");
  EXPECT_EQ(j.at("target_answered"), true);
  EXPECT_DOUBLE_EQ(j.at("duration_s").get<double>(), 2.0);
  const json& c = j.at("config");
  EXPECT_EQ(c.at("users"), 7);
  EXPECT_EQ(c.at("model"), "closed");
  EXPECT_EQ(c.at("mix"), "session=1,get=2");
  for (const char* key :
       {"target", "rate", "threads", "duration_s", "max_requests", "think_time_ms", "path", "work_io_ms", "work_cpu_ms",
        "upload_bytes", "items", "checkout_items", "orders_strategy", "orders_limit", "stale_grace_ms", "burst_extra",
        "connect_timeout_ms",
        "response_timeout_ms", "seed"})
    EXPECT_TRUE(c.contains(key)) << key;
  const json& totals = j.at("totals");
  expect_counts_shape(totals);
  EXPECT_EQ(totals.at("requests"), 240);
  EXPECT_DOUBLE_EQ(totals.at("rps").get<double>(), 120.0);
  EXPECT_EQ(totals.at("scenarios").at("session"), 10);
  EXPECT_EQ(totals.at("scenarios").size(), 9u);
  ASSERT_EQ(j.at("samples").size(), 2u);
  expect_counts_shape(j.at("samples")[1]);
  EXPECT_EQ(j.at("failures"), json::array());
  EXPECT_FALSE(j.contains("stock"));  // only a run that checks out is audited
}

TEST(JsonShape, FailedRequests) {
  Response answer;
  answer.status = 502;
  answer.body = R"({"error":"upstream_reset","detail":"backend app-2: reset_before_response"})";
  answer.request_id = "b-9";
  Response reset;
  reset.transport = Transport::reset;
  Response html;
  html.status = 500;
  html.instance = "app-1";
  html.body = "<html>\xff\xfe" + std::string(300, 'x');
  html.request_id = "r\xc3";
  LoadResult r;
  r.failures = {FailedRequest::of(1.23456, "GET", "/api/me", answer),
                FailedRequest::of(2.5, "POST", "/api/cart/items", reset),
                FailedRequest::of(3, "GET", "/", html)};
  const json j = r;
  const json& f = j.at("failures");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], (json{{"t_s", 1.235}, {"method", "GET"}, {"target", "/api/me"}, {"status", 502},
                         {"error", "upstream_reset"}, {"detail", "backend app-2: reset_before_response"},
                         {"instance", ""}, {"request_id", "b-9"}}));
  EXPECT_EQ(f[1].at("transport"), "reset");
  EXPECT_FALSE(f[1].contains("status"));
  EXPECT_EQ(f[2].at("error"), "");
  EXPECT_EQ(f[2].at("detail").get<std::string>().size(), 200u);  // the first bytes of a body that is not JSON
  EXPECT_EQ(f[2].at("instance"), "app-1");
  EXPECT_EQ(f[2].at("detail").get<std::string>().substr(0, 8), "<html>??");  // not UTF-8: made printable
  EXPECT_EQ(f[2].at("request_id"), "r?");
  EXPECT_NO_THROW((void)j.dump());
}
