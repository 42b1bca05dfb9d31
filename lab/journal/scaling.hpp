// What happened to the instance count during a run, read back from a journal: the
// count the lab started with (experiment.cluster.instances) and every `scale` event
// after it ("3 -> 5 (autoscaler)", or a scale action's "3 -> 5"). The autoscaling
// lessons judge a run by it: how closely the count followed the load, how often it
// changed direction (flapping), and what it cost in instance-seconds.
#pragma once

#include <optional>
#include <vector>

#include "lab/journal/journal.hpp"

namespace scalelab::journal {

// From `t_s` (seconds from t0) on, the lab ran `count` instances, starting ones
// included (an instance costs from the moment it is started).
struct CountStep {
  double t_s = 0;
  int count = 0;
};

// The count over the run: a first step at t0 and one per scale event that moved it,
// in time order. Empty when the journal does not say how many the lab started with.
std::vector<CountStep> instance_count_steps(const Journal& run);

// The count at `t_s` (the last step at or before it); nullopt before the first.
std::optional<int> count_at(const std::vector<CountStep>& steps, double t_s);

// The count integrated from t0 to `until_s`: what the run paid in instance-seconds.
double instance_seconds(const std::vector<CountStep>& steps, double until_s);

// How often the count changed direction (up then down, or down then up): flapping.
int direction_changes(const std::vector<CountStep>& steps);

// The "A -> B" at the start of a scale event's detail, or nullopt.
std::optional<std::pair<int, int>> parse_scale_detail(const std::string& detail);

}  // namespace scalelab::journal
