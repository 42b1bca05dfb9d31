// Readiness checks, one per kind of component, each bounded by short timeouts so a
// frozen (SIGSTOP) process reads as "not answering" instead of hanging the supervisor.
// They run off the supervisor's main loop (std::async), one in flight per component.
#pragma once

#include <cstdint>

#include "lab/supervisor/component.hpp"

namespace scalelab::lab {

// Answers within about `timeout` whatever the component does.
ProbeResult probe(Kind kind, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

}  // namespace scalelab::lab
