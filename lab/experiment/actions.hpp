// Carries out one experiment action on a running lab through its control API, and
// says how it went in the journal's words (JOURNAL.md "An action").
#pragma once

#include <string>

#include "lab/experiment/experiment.hpp"
#include "lab/supervisor/lab_client.hpp"

namespace scalelab::experiment {

struct ActionOutcome {
  std::string status;  // succeeded | failed
  std::string detail;  // what was done, or why it failed
};

// Never throws. A restart returns once the component has started again and is ready
// (the action fails when it is not within 30 s); every other action returns at once.
ActionOutcome run_action(const ActionSpec& action, lab::LabClient& lab);

}  // namespace scalelab::experiment
