// Runs an experiment: brings a lab up as the file says, drives the load, checks the
// steady-state hypothesis before the method, carries out the method's actions at their
// offsets while the load runs, checks the hypothesis again over the run, runs the
// rollbacks, brings the lab down, and returns the journal (JOURNAL.md). The verdict
// follows Chaos Toolkit: deviated when the hypothesis does not hold after the method.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/experiment/experiment.hpp"
#include "lab/journal/journal.hpp"

namespace scalelab::experiment {

struct RunOptions {
  std::filesystem::path lab_dir;          // the lab's run folder (required)
  std::optional<std::uint16_t> base_port; // empty: a free range is picked
  std::string scalelab_exe;               // what starts the supervisor
  std::string label;                      // the journal's "label" (the demo's mode name)
  bool keep_lab = false;                  // leave the lab running afterwards
  // Called now and then with what is happening and how far along the run is (0..1).
  std::function<void(const std::string& phase, double done)> progress;
  std::stop_token stop;                   // cuts the load short; rollbacks and down still run
};

// Never throws for a lab that misbehaves: that is an aborted verdict in the journal.
journal::Journal run(const Experiment& experiment, const RunOptions& options);
// run(), as the journal's JSON.
nlohmann::json run_experiment(const Experiment& experiment, const RunOptions& options);

// Writes <dir>/<name>.json and <dir>/<name>.html; returns the HTML's path.
std::filesystem::path write_journal(const nlohmann::json& journal, const std::filesystem::path& dir, const std::string& name);

// "kill-one-of-three-20261126-091500" from a title and the current time.
std::string run_name(const std::string& title);

}  // namespace scalelab::experiment
