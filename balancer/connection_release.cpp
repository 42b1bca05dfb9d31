// Names of the ways a connection leaves a request; see connection_release.hpp.
#include "balancer/connection_release.hpp"

namespace scalelab::balancer {

const char* release_name(Release r) {
  switch (r) {
    case Release::keep: return "keep";
    case Release::backend_close: return "backend_close";
    case Release::overran_framing: return "overran_framing";
    case Release::request_unfinished: return "request_unfinished";
    case Release::failed: return "failed";
    case Release::idle_data: return "idle_data";
    case Release::idle_eof: return "idle_eof";
    case Release::idle_timeout: return "idle_timeout";
    case Release::draining: return "draining";
    case Release::shutdown: return "shutdown";
  }
  return "unknown";
}

}  // namespace scalelab::balancer
