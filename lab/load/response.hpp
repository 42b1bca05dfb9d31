// What came back for one request, described plainly: the HTTP client fills a Response
// and the violation classifier judges it. It has no Asio or Beast in it, so classifier
// tests can script responses by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::load {

// Why a request got no HTTP response at all.
enum class Transport : std::uint8_t {
  none = 0,  // a response arrived (see status)
  refused,   // connection refused: nothing listens on the target
  reset,     // the peer reset or closed the connection before a complete response
  timeout,   // connect or response timeout
  protocol,  // the bytes were not a valid HTTP/1.1 response (or exceeded a limit)
  other,     // any other socket error
  count
};
const char* transport_name(Transport t);

// The X-RateLimit-* headers of API.md, present on a logged-in user's /api/ responses.
struct RateLimitHeaders {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t window = 0;  // floor(unix_seconds / window_seconds), same on every instance
};

struct Response {
  int status = 0;  // 0 when transport != none
  Transport transport = Transport::none;
  bool aborted = false;  // the run stopped mid-request: not an outcome, ignore it
  std::string body;
  std::string instance;                  // X-Instance
  std::string request_id;                // X-Request-Id
  std::vector<std::string> set_cookies;  // raw Set-Cookie values
  std::optional<RateLimitHeaders> ratelimit;
  int retry_after_seconds = -1;  // Retry-After, -1 when absent
  std::string upload_sha256;     // X-Upload-Sha256
  // X-Scalelab-Cold-Start-Ms: how long the balancer held the request while an instance
  // started (scale to zero); -1 when absent.
  std::int64_t cold_start_ms = -1;
  std::int64_t db_queries = -1;  // X-DB-Queries: statements the request sent; -1 when absent
  bool keep_alive = true;

  bool answered() const { return transport == Transport::none && !aborted && status != 0; }

  // Forgets the previous response but keeps the buffers' capacity (one per user).
  void clear() {
    status = 0;
    transport = Transport::none;
    aborted = false;
    body.clear();
    instance.clear();
    request_id.clear();
    set_cookies.clear();
    ratelimit.reset();
    retry_after_seconds = -1;
    upload_sha256.clear();
    cold_start_ms = -1;
    db_queries = -1;
    keep_alive = true;
  }
};

}  // namespace scalelab::load
