// Running what the project ships, for the tests that check it for real: an experiment
// file against a lab of its own, and a lesson as `scalelab demo` runs it.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/experiment/demo.hpp"
#include "lab/experiment/experiment.hpp"

namespace scalelab::experiment {

// Runs experiments/<file> against a lab of its own, after `adjust` if given; returns
// its journal.
nlohmann::json run_shipped(const std::string& file, const std::function<void(Experiment&)>& adjust = {});

// The after-method value of the probe named `name` (a test failure when there is none).
double probe_value(const nlohmann::json& journal, const std::string& name);

// Runs a lesson as `scalelab demo` does, in a folder of its own; checks that it wrote
// its combined report.
journal::Demo run_lesson(const DemoTopic& topic);

}  // namespace scalelab::experiment
