// Small helpers for the app's integration tests: JSON bodies, logins, metrics (and the
// raw-socket client from tests/support).
#pragma once

#include <httplib.h>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/app_cluster.hpp"
#include "tests/support/raw_client.hpp"

namespace scalelab::testkit {

inline nlohmann::json body(const httplib::Result& r) {
  if (!r) return nlohmann::json{{"transport_error", httplib::to_string(r.error())}};
  return nlohmann::json::parse(r->body, nullptr, false);
}

// Logs `user` in through `client`; returns the Cookie header to send afterwards.
inline httplib::Headers login(httplib::Client& client, const std::string& user) {
  auto r = client.Post("/api/login", nlohmann::json{{"user", user}}.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : httplib::to_string(r.error()));
  return {{"Cookie", session_cookie(r)}};
}

// The value of `metric{labels}` in a Prometheus text exposition, or -1 if absent.
double metric_value(const std::string& exposition, const std::string& series);

}  // namespace scalelab::testkit
