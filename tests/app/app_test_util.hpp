// Small helpers for the app's integration tests: JSON bodies, logins, metrics (and the
// raw-socket client from tests/support).
#pragma once

#include <httplib.h>

#include <optional>
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

// The status of an answer, or -1 when none came (so a test fails instead of crashing).
inline int status_of(const httplib::Result& r) { return r ? r->status : -1; }

// An answer with `status` and the JSON error body {"error": code, "detail": "..."}.
inline void expect_error(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(body(r)["error"], code) << r->body;
  EXPECT_TRUE(body(r)["detail"].is_string()) << r->body;
}

// Logs `user` in through `client`; returns the Cookie header to send afterwards.
inline httplib::Headers login(httplib::Client& client, const std::string& user) {
  auto r = client.Post("/api/login", nlohmann::json{{"user", user}}.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : httplib::to_string(r.error()));
  return {{"Cookie", session_cookie(r)}};
}

// POSTs `data` as application/octet-stream with chunked framing, `chunk` bytes a chunk
// (no Content-Length for a server to check up front).
httplib::Result post_chunked(httplib::Client& client, const std::string& path, const httplib::Headers& headers,
                             const std::string& data, std::size_t chunk);

// The value of `metric{labels}` in a Prometheus text exposition, or -1 if absent.
double metric_value(const std::string& exposition, const std::string& series);

}  // namespace scalelab::testkit
