// Carries out one experiment action on a running lab through its control API, and
// says how it went in the journal's words (JOURNAL.md "An action").
#pragma once

#include <nlohmann/json.hpp>

#include "lab/experiment/experiment.hpp"
#include "lab/supervisor/lab_client.hpp"

namespace scalelab::experiment {

// {"status": "succeeded" | "failed", "detail": "..."}; never throws.
nlohmann::json run_action(const ActionSpec& action, lab::LabClient& lab);

}  // namespace scalelab::experiment
