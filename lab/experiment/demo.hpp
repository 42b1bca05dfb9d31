// `scalelab demo`, the project's main job: the same cluster (3 instances, round robin),
// the same load and the same chaos (kill -9 of one instance mid-run, then a restart),
// three times: state shared, state local, and state local behind sticky sessions. It
// ends with a side-by-side table, one conclusion per mode drawn from the numbers, and
// one combined HTML report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/journal/journal.hpp"

namespace scalelab::experiment {

struct DemoOptions {
  std::filesystem::path experiment_file;  // the shared definition (experiments/demo.yaml)
  std::filesystem::path out_dir;          // journals, reports and the labs' folders go here
  std::string scalelab_exe;
  bool progress_bar = true;               // false: one line per phase instead
};

// Runs the three modes; prints the table and conclusions to stdout; returns the
// combined document (schema scalelab.demo/1) and writes it with its report. Throws
// ExperimentError for a bad file, std::runtime_error when a run aborted.
journal::Demo run_demo(const DemoOptions& options, std::filesystem::path* report_path);

// One line per mode, from the numbers of its series alone (exposed for tests).
std::string conclusion_for(const journal::Journal& run);
// The side-by-side table (exposed for tests).
std::string summary_table(const std::vector<journal::Journal>& runs);

}  // namespace scalelab::experiment
