// Small helpers for the app's integration tests: JSON bodies, logins, raw sockets.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/app_cluster.hpp"

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

// Sends `bytes` on a fresh connection to 127.0.0.1:port, optionally half-closes, and
// returns what the server answered: until it closes, `timeout_ms` passes with no
// answer, or 300 ms pass in silence after the answer began.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, bool half_close = false, int timeout_ms = 3000);

// One response as it came off a raw connection.
struct RawResponse {
  int status = 0;
  std::string head;  // the status line and header fields, as received
  std::string body;  // decoded when chunked
  // The first value of header `name` (any case), or "" when absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

// A client connection driven byte by byte, for requests sent in parts.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);  // connect() failing leaves it closed
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool send(const std::string& bytes);  // false once the server stopped taking them
  void shutdown_write();                 // a half-close: the request is complete
  bool readable_within(int timeout_ms);  // an answer (or a close) has begun
  std::string read_answer(int timeout_ms = 3000);  // as raw_exchange; closes
  // Reads exactly one response, framed by its Content-Length or chunked encoding (no
  // body for HEAD or when `head_only`), leaving whatever follows it buffered. nullopt
  // when the connection closed or went silent for `timeout_ms` before it was whole.
  std::optional<RawResponse> read_response(bool head_only = false, int timeout_ms = 3000);
  // What arrived after the responses read so far, waiting `quiet_ms` for more: a
  // server that keeps to its framing leaves nothing here.
  std::string extra_bytes(int quiet_ms = 300);
  // True when the server closed the connection (within `timeout_ms`).
  bool closed_within(int timeout_ms);

 private:
  bool fill(int timeout_ms);  // reads more into buffer_; false on close or timeout
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// The value of `metric{labels}` in a Prometheus text exposition, or -1 if absent.
double metric_value(const std::string& exposition, const std::string& series);

}  // namespace scalelab::testkit
