// A demo whose runs are the points of a sweep (`scalelab demo concurrency`): each run a
// number of users on one kind of work and one concurrency model. Read over time, twelve
// runs are twelve separate pictures; read against the users, they are one line per
// model, which is the lesson. These charts draw throughput and p99 that way, with each
// model's ceiling (lab/journal/ceiling.hpp) as a dashed line beside its throughput.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lab/journal/journal.hpp"
#include "lab/report/svg_chart.hpp"

namespace scalelab::report {

// Headed charts, two per kind of work (throughput, p99), or none when the runs are not a
// sweep: every run needs a capacity, and the users must take at least two values.
std::vector<std::pair<std::string, svg::Chart>> sweep_charts(const journal::Demo& demo);

}  // namespace scalelab::report
