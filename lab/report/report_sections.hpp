// The parts of a report that are HTML rather than charts: the verdict, the settings,
// the hypothesis table, the action timeline, the lab's events. They appear both in a
// single experiment's report and, per run, in the demo's; each part is one function
// here, so both documents show a run the same way.
//
// Every function returns an HTML fragment with all journal text escaped.
#pragma once

#include <string>
#include <vector>

#include "lab/journal/journal.hpp"
#include "lab/report/svg_chart.hpp"

namespace scalelab::report::sections {

// The badge alone: "HELD", "DEVIATED" or "ABORTED", coloured and worded.
std::string verdict_badge(const journal::Journal& run);
// The badge with its sentence: the summary, or the error of an aborted run.
std::string verdict(const journal::Journal& run);

// Title-block facts: description, tags, file, start, end, duration.
std::string overview(const journal::Journal& run);
// The cluster and load settings, and where the lab ran.
std::string settings(const journal::Journal& run);
// Requests, failed requests, mean throughput, worst p99, violations with their rates.
std::string key_numbers(const journal::Journal& run);

// "40.0 % of session checks" for a violation kind, or "" when the checks are unknown.
std::string rate_of_checks(const journal::Totals& totals, const std::string& kind);

std::string hypothesis_table(const journal::Journal& run);
std::string actions_table(const journal::Journal& run);
std::string events_table(const journal::Journal& run);
// The first failed requests the load generator kept, or a line saying there were none.
std::string failures_table(const journal::Journal& run);
// The first violations of each kind the load generator kept, each with the request
// that showed it and what its answer contradicted, or a line saying there were none.
std::string violations_table(const journal::Journal& run);
// The run's throughput against its ceiling, phase by phase (lab/journal/ceiling.hpp);
// "" for a run without a capacity.
std::string ceiling_table(const journal::Journal& run);

// A chart in a <figure> with `caption` as its visible heading.
std::string figure(const svg::Chart& chart, const std::string& caption);
// One line explaining markers and ticks, shown above a group of charts.
std::string chart_key();

}  // namespace scalelab::report::sections
