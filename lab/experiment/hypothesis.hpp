// The steady-state hypothesis, checked: each probe measured over a window of the
// load's per-second samples (or, for `ready`, against the lab's status at that moment)
// and compared with its tolerance. Results are the journal's (JOURNAL.md "A probe").
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/experiment/experiment.hpp"
#include "lab/journal/journal.hpp"

namespace scalelab::experiment {

// Where the method sits in the load's timeline, for the windows.
struct Timeline {
  double now_s = 0;                  // when the check happens
  std::optional<double> first_action_s;
  std::optional<double> last_action_s;  // when it is due; once it has run, when it ended
};

// Evaluates one probe over `samples`, the load's seconds so far. `lab_status` is the
// supervisor's /status (null when the lab is gone); only `ready` reads it. Throws
// std::invalid_argument for a type that has no measure (load_experiment refuses them).
journal::ProbeResult evaluate_probe(const ProbeSpec& probe, const std::vector<journal::Sample>& samples,
                                    const Timeline& when, const nlohmann::json& lab_status);

// Every probe; `met` when each of them is.
journal::HypothesisCheck evaluate_hypothesis(const std::vector<ProbeSpec>& probes,
                                             const std::vector<journal::Sample>& samples, const Timeline& when,
                                             const nlohmann::json& lab_status);

}  // namespace scalelab::experiment
