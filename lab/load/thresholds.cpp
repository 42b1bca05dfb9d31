// Parsing and judging for thresholds.hpp. Messages are single lines meant to follow
// "scalelab: --allow-violations: " and to be understood without reading the source.
#include "lab/load/thresholds.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "common/exit_codes.hpp"
#include "common/text.hpp"

namespace scalelab::load {
namespace {

using text::trim;

std::string known_kinds() {
  std::string names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Violation::count); ++i)
    names += (i ? ", " : "") + std::string(violation_name(static_cast<Violation>(i)));
  return names;
}

bool parse_violation(std::string_view name, Violation& out) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(Violation::count); ++i) {
    if (name == violation_name(static_cast<Violation>(i))) {
      out = static_cast<Violation>(i);
      return true;
    }
  }
  return false;
}

// A count needs no fraction; a percentage may have one.
template <class Number>
bool parse_whole(std::string_view text, Number& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Names which checks a violation kind's percentage is of: "session checks".
std::string checks_of(Violation v) { return std::string(check_name(check_of(v))) + " checks"; }

}  // namespace

Allowance Allowance::any() { return {std::numeric_limits<double>::infinity(), false}; }

bool Allowance::exceeded_by(std::uint64_t count, std::uint64_t whole) const {
  if (!percent) return static_cast<double>(count) > value;
  if (count == 0) return false;
  return whole == 0 || percent_of(count, whole) > value;
}

std::string Allowance::to_string() const {
  if (std::isinf(value)) return "any";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g%s", value, percent ? "%" : "");
  return buf;
}

Allowance parse_allowance(std::string_view text) {
  const std::string_view t = trim(text);
  const std::string why = in_quotes(t) + " is neither a count (like 10) nor a percentage from 0 to 100 (like 2.5%)";
  Allowance a;
  if (!t.empty() && t.back() == '%') {
    a.percent = true;
    if (!parse_whole(trim(t.substr(0, t.size() - 1)), a.value) || !std::isfinite(a.value) || a.value < 0 ||
        a.value > 100)
      throw std::invalid_argument(why);
    return a;
  }
  std::uint64_t count = 0;
  if (!parse_whole(t, count)) throw std::invalid_argument(why);
  a.value = static_cast<double>(count);
  return a;
}

ViolationAllowances parse_allowed_violations(std::string_view text) {
  ViolationAllowances out;
  const std::string_view whole = trim(text);
  if (whole.empty() || whole == "all") {
    out.all = true;
    return out;
  }
  if (whole == "none") return out;
  const auto entries = split_named_values(whole);
  if (entries.empty()) throw std::invalid_argument(in_quotes(whole) + " names no violation kind");
  std::array<bool, static_cast<std::size_t>(Violation::count)> given{};
  for (const auto& [name, value] : entries) {
    Violation v{};
    if (name == "all" || name == "none")
      throw std::invalid_argument(in_quotes(name) + " stands alone, not in a list of kinds");
    if (!parse_violation(name, v))
      throw std::invalid_argument("unknown violation kind " + in_quotes(name) + " (known: " + known_kinds() + ")");
    const auto i = static_cast<std::size_t>(v);
    if (given[i]) throw std::invalid_argument("violation kind " + in_quotes(name) + " given twice");
    given[i] = true;
    try {
      out.per_kind[i] = value ? parse_allowance(*value) : Allowance::any();
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(name) + ": " + e.what());
    }
  }
  return out;
}

Allowance parse_allowed_failures(std::string_view text) { return parse_allowance(text); }

std::string CrossedThreshold::line() const {
  char share[48];
  std::snprintf(share, sizeof share, "%.2f %%", percent_of(count, whole));
  return name + ": " + std::to_string(count) + " of " + std::to_string(whole) + " " + whole_name + " (" + share +
         "), allowed " + allowed.to_string();
}

std::string Verdict::headline() const {
  const std::string code = "exit " + std::to_string(exit_code) + ": ";
  switch (exit_code) {
    case config::kExitOk:
      return code + "no threshold crossed";
    case config::kExitFailure:
      return code + "the target never answered";
    case kExitViolations:
      return code + "violations over their thresholds";
    default:
      return code + "failed requests over their threshold";
  }
}

std::string Verdict::line() const {
  std::string out = headline();
  for (const auto& c : crossed) out += "; " + c.line();
  return out;
}

Verdict judge(const LoadResult& result, const Thresholds& thresholds) {
  const Tally& t = result.totals;
  Verdict verdict;
  bool violations_crossed = false;
  if (!thresholds.violations.all) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(Violation::count); ++i) {
      const auto v = static_cast<Violation>(i);
      const Allowance& allowed = thresholds.violations.of(v);
      if (!allowed.exceeded_by(t.of(v), t.of(check_of(v)))) continue;
      verdict.crossed.push_back({violation_name(v), t.of(v), t.of(check_of(v)), checks_of(v), allowed});
      violations_crossed = true;
    }
  }
  const bool failures_crossed = thresholds.failures.exceeded_by(t.failed(), t.requests);
  if (failures_crossed) verdict.crossed.push_back({"failed", t.failed(), t.requests, "requests", thresholds.failures});

  if (!result.target_answered)
    verdict.exit_code = config::kExitFailure;
  else if (violations_crossed)
    verdict.exit_code = kExitViolations;
  else if (failures_crossed)
    verdict.exit_code = kExitFailedRequests;
  return verdict;
}

void to_json(nlohmann::json& j, const Verdict& verdict) {
  nlohmann::json crossed = nlohmann::json::array();
  for (const auto& c : verdict.crossed)
    crossed.push_back({{"name", c.name},
                       {"count", c.count},
                       {"of", c.whole},
                       {"allowed", c.allowed.to_string()},
                       {"line", c.line()}});
  j = {{"exit_code", verdict.exit_code}, {"crossed", std::move(crossed)}};
}

}  // namespace scalelab::load
