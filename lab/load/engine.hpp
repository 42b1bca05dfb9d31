// run_load() is how anything starts a load run: `scalelab load` calls it, and so does
// the experiment runner. It drives the target with the configured virtual users on
// `threads` event loops, calls `on_second` once per second with that second's Sample
// (on the calling thread, so the callback needs no locking), and returns the whole run.
// It always ends by itself: at `duration`, when `max_requests` have been sent
// (in-flight requests finish first), or soon after `stop` is requested.
#pragma once

#include <functional>
#include <stop_token>

#include "lab/load/load_config.hpp"
#include "lab/load/results.hpp"

namespace scalelab::load {

// `on_start`, when given, is called on the calling thread at the instant the run's clock
// starts (the samples' elapsed_s count from it): after the stock audit's first reading,
// before the first request. A caller timing things against the run (the experiment
// runner's actions) starts its own clock there.
// Throws std::invalid_argument (one line) when the config is invalid, for example a
// target outside 127.0.0.0/8. Request failures never throw: they are counted.
LoadResult run_load(const LoadConfig& config, const std::function<void(const Sample&)>& on_second = {},
                    std::stop_token stop = {}, const std::function<void()>& on_start = {});

}  // namespace scalelab::load
