// See scaling.hpp.
#include "lab/journal/scaling.hpp"

#include <algorithm>
#include <charconv>

namespace scalelab::journal {
namespace {

std::optional<int> leading_number(std::string_view& s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return v;
}

}  // namespace

std::optional<std::pair<int, int>> parse_scale_detail(const std::string& detail) {
  std::string_view s = detail;
  const auto from = leading_number(s);
  if (!from || !s.starts_with(" -> ")) return std::nullopt;
  s.remove_prefix(4);
  const auto to = leading_number(s);
  if (!to) return std::nullopt;
  return std::make_pair(*from, *to);
}

std::vector<CountStep> instance_count_steps(const Journal& run) {
  std::vector<CountStep> steps;
  const auto it = run.experiment.cluster.find("instances");
  if (it == run.experiment.cluster.end() || !it->is_number_integer()) return steps;
  steps.push_back({0, it->get<int>()});
  std::vector<const LabEvent*> scales;
  for (const LabEvent& e : run.events)
    if (e.kind == "scale") scales.push_back(&e);
  std::stable_sort(scales.begin(), scales.end(), [](const LabEvent* a, const LabEvent* b) { return a->t_s < b->t_s; });
  for (const LabEvent* e : scales) {
    const auto change = parse_scale_detail(e->detail);
    if (!change || change->second == steps.back().count) continue;
    if (e->t_s <= 0)
      steps.back().count = change->second;  // before the load began: what it began with
    else
      steps.push_back({e->t_s, change->second});
  }
  return steps;
}

std::optional<int> count_at(const std::vector<CountStep>& steps, double t_s) {
  std::optional<int> count;
  for (const CountStep& s : steps) {
    if (s.t_s > t_s) break;
    count = s.count;
  }
  return count;
}

double instance_seconds(const std::vector<CountStep>& steps, double until_s) {
  double total = 0;
  for (std::size_t i = 0; i < steps.size() && steps[i].t_s < until_s; ++i) {
    const double end = i + 1 < steps.size() ? std::min(steps[i + 1].t_s, until_s) : until_s;
    total += steps[i].count * (end - steps[i].t_s);
  }
  return total;
}

int direction_changes(const std::vector<CountStep>& steps) {
  int changes = 0, last_direction = 0;
  for (std::size_t i = 1; i < steps.size(); ++i) {
    const int direction = steps[i].count > steps[i - 1].count ? 1 : -1;
    if (last_direction != 0 && direction != last_direction) ++changes;
    last_direction = direction;
  }
  return changes;
}

}  // namespace scalelab::journal
