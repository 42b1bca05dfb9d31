// run() is the scalelab-balancer process around its event loops. It builds the
// shared state, resolves the static backends, binds the proxy and admin listeners,
// starts one event loop per thread, health checks, DNS discovery and the reaper of
// drained backends, and owns shutdown: on SIGTERM (or SIGINT) it stops accepting,
// closes idle connections, lets in-flight requests finish (up to
// --shutdown-timeout-ms), then returns 0.
#pragma once

#include "balancer/settings.hpp"

namespace scalelab::balancer {

// Runs until a termination signal. Returns the exit code: 0 after a clean shutdown,
// 1 when a listener cannot be bound, 2 when a static backend cannot be resolved.
int run(const Settings& settings);

}  // namespace scalelab::balancer
