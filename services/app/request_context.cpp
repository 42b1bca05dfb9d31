#include "services/app/request_context.hpp"

#include <cstdio>

#include "common/waits.hpp"

namespace scalelab::app {

RequestContext& current_context() { return waits::task_local<RequestContext>(); }

std::string RequestContext::server_timing() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, "parse;dur=%.3f, route;dur=%.3f, middleware;dur=%.3f, handler;dur=%.3f, serialize;dur=%.3f",
                parse * 1e3, route_time * 1e3, middleware * 1e3, handler * 1e3, serialize * 1e3);
  return buf;
}

}  // namespace scalelab::app
