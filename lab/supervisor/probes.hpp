// Readiness checks, one per kind of component, each bounded by short timeouts so a
// frozen (SIGSTOP) process reads as "not answering" instead of hanging the supervisor.
// They run off the supervisor's main loop (std::async), one in flight per component.
#pragma once

#include <cstdint>

#include "lab/supervisor/component.hpp"

namespace scalelab::lab {

// Answers within about `timeout` whatever the component does. `starting`: the component
// has not been ready since it was (re)started; PostgreSQL then gets its one-time set-up
// (the instances' role and database), and afterwards only a ping.
ProbeResult probe(Kind kind, std::uint16_t port, bool starting,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

}  // namespace scalelab::lab
