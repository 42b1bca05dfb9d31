// Gives every proxied request an X-Request-Id, so that the access log, the backend and
// the client can name the same request. An incoming id is kept when sane; otherwise
// one is made here, without a CSPRNG call per request (that would cost more than the
// rest of the header work on the hot path).
#pragma once

#include <cstdint>
#include <string>

#include "common/request_id.hpp"  // is_acceptable_request_id: which incoming ids are kept

namespace scalelab::balancer {

// Unique ids: a random per-generator prefix from the CSPRNG, then a counter. They are
// not secrets; they correlate log lines. One generator per event loop.
class RequestIdGenerator {
 public:
  RequestIdGenerator();
  std::string next();
  // The same, into `out` (its buffer is reused: no allocation per request).
  void next(std::string& out);

 private:
  std::string prefix_;
  std::uint64_t counter_ = 0;
};

}  // namespace scalelab::balancer
