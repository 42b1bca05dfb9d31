// The steady-state hypothesis, checked: each probe measured over a window of the
// load's per-second samples (or, for `ready`, against the lab's status at that moment)
// and compared with its tolerance. The probe JSON is the journal's (JOURNAL.md).
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/experiment/experiment.hpp"
#include "lab/experiment/journal_model.hpp"  // check_kind_of

namespace scalelab::experiment {

// Where the method sits in the load's timeline, for the windows.
struct Timeline {
  double now_s = 0;                  // when the check happens
  std::optional<double> first_action_s;
  std::optional<double> last_action_s;
};

// Evaluates one probe. `samples` are lab/load Samples (JSON); `lab_status` is the
// supervisor's /status (may be null when the lab is gone).
nlohmann::json evaluate_probe(const ProbeSpec& probe, const std::vector<nlohmann::json>& samples, const Timeline& when,
                              const nlohmann::json& lab_status);

// {"met": bool, "probes": [...]}
nlohmann::json evaluate_hypothesis(const std::vector<ProbeSpec>& probes, const std::vector<nlohmann::json>& samples,
                                   const Timeline& when, const nlohmann::json& lab_status);

}  // namespace scalelab::experiment
