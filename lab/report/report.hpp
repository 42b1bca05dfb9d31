// A chaos run is judged by a person, who would rather look at a page than read a
// journal. These functions turn an experiment journal (JOURNAL.md,
// "scalelab.journal/1") or the demo's combined document ("scalelab.demo/1") into one
// self-contained HTML file: inline CSS and SVG charts, no script, no external
// reference, readable offline, in any browser and on paper.
//
// The report shows the title, description, tags, settings, times and a verdict badge;
// key numbers; the hypothesis table (every probe before and after, with its tolerance,
// value, detail and PASS/FAIL); charts over seconds since t0 of throughput, error rate,
// violations by kind, latency p50/p99 and answers per instance, each with every action
// and rollback as a labelled marker and the lab's events as ticks; the action timeline
// and the lab's events. Every string from the journal is escaped. Output depends only
// on the input (no clock, no environment), so equal journals give equal reports.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "lab/journal/journal.hpp"

namespace scalelab::report {

// One experiment's report.
std::string render_report(const journal::Journal& run);
// The same from the journal's JSON. Throws std::invalid_argument naming the missing or
// bad field ("journal field 'verdict.status' is missing") when the journal does not
// follow JOURNAL.md (lab/journal/journal_json.hpp says what is required).
std::string render_report(const nlohmann::json& journal);

// The demo's report: its runs side by side (a summary table of requests, failed
// requests and each violation kind per mode, the one-line conclusion per mode, then
// each chart for every run in a row, on shared axes), then each run in detail.
std::string render_demo_report(const journal::Demo& demo);
// The same from the demo's JSON. Throws std::invalid_argument as render_report, with
// the run's path ("runs[2].").
std::string render_demo_report(const nlohmann::json& demo);

}  // namespace scalelab::report
