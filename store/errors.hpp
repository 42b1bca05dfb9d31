// The two ways a store call can fail, typed so the service can answer correctly:
//  - StoreUnavailable: the backend could not be reached or did not answer in time
//    (connection refused, timeout, reset, 5xx). Transient: the service answers 503
//    with Retry-After, and the next call tries again.
//  - StoreError: the backend answered, but with an error that retrying will not fix
//    (a protocol error, a wrong-type reply, a 4xx from S3).
// Both carry the backend's name ("redis", "s3", "local-disk") and the cause.
#pragma once

#include <stdexcept>
#include <string>

namespace scalelab::store {

// Every backend name a StoreError carries, for metrics that show each from the start.
inline constexpr const char* kErrorBackends[] = {"redis", "s3", "local-disk", "postgres"};

class StoreError : public std::runtime_error {
 public:
  StoreError(std::string backend, std::string cause)
      : std::runtime_error(backend + ": " + cause), backend_(std::move(backend)), cause_(std::move(cause)) {}
  const std::string& backend() const { return backend_; }
  const std::string& cause() const { return cause_; }

 private:
  std::string backend_;
  std::string cause_;
};

class StoreUnavailable : public StoreError {
 public:
  using StoreError::StoreError;
};

// No pooled connection came free within the checkout timeout (bounded_pool.hpp): the
// instance's own bound, not the backend's.
class PoolExhausted : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

}  // namespace scalelab::store
