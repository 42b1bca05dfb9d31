// `scalelab demo [TOPIC]`: a lesson told by runs side by side. Each run is an experiment
// against a lab of its own; the demo prints a side-by-side table and one conclusion per
// run drawn from its numbers, and writes one combined HTML report.
//  - state (the default, the project's main job): the same cluster (3 instances, round
//    robin), the same load and the same chaos (kill -9 of one instance mid-run, then a
//    restart), with state shared, local, and local behind sticky sessions;
//  - autoscaling (demo_autoscaling.cpp): the Kubernetes HPA algorithm following a load
//    ramp, the same without a stabilization window (flapping), with a slow start-up,
//    and a lab that scales to zero and pays for a cold start;
//  - database (demo_database.cpp): the connection budget, 1 -> 8 instances against
//    max_connections with pools of 20, of 10, and through pgbouncer;
//  - concurrency (demo_concurrency.cpp): one instance's concurrency model, a pool and a
//    thread per connection, at 10, 100 and 1000 users on I/O- and CPU-bound work.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lab/experiment/experiment.hpp"
#include "lab/journal/journal.hpp"

namespace scalelab::experiment {

struct DemoOptions {
  std::filesystem::path out_dir;  // journals, reports and the labs' folders go here
  std::string scalelab_exe;
  bool progress_bar = true;       // false: one line per phase instead
};

// One column of a lesson.
struct DemoRun {
  std::string label;  // the column's name, e.g. "local+sticky"
  Experiment experiment;
};

struct DemoTopic {
  std::string name;         // as typed after `scalelab demo`
  std::string intro;        // printed before the runs start
  std::string description;  // the report's introduction: what differs between the runs
  std::vector<DemoRun> runs;
  std::function<std::string(const journal::Journal&)> conclusion;           // one line per run
  std::function<std::string(const std::vector<journal::Journal>&)> table;  // the side-by-side text table
};

// The lessons by name, in the order `scalelab demo --help` lists them.
const std::vector<std::string>& demo_topic_names();

// The state lesson, from the shared definition `experiment_file` (experiments/demo.yaml).
// Throws ExperimentError for a bad file.
DemoTopic state_topic(const std::filesystem::path& experiment_file);
// The autoscaling lesson, from the files it names in `experiments_dir`.
DemoTopic autoscaling_topic(const std::filesystem::path& experiments_dir);
// The database lesson, from connection-budget(-pgbouncer).yaml in `experiments_dir`.
DemoTopic database_topic(const std::filesystem::path& experiments_dir);
// The concurrency lesson: twelve runs made from models-pool-io-bound.yaml.
DemoTopic concurrency_topic(const std::filesystem::path& experiments_dir);

// Runs the topic's runs; prints the table and conclusions to stdout; returns the
// combined document (schema scalelab.demo/1) and writes it with its report. Throws
// std::runtime_error when a run aborted.
journal::Demo run_demo(const DemoTopic& topic, const DemoOptions& options, std::filesystem::path* report_path);

// The state lesson's line per mode and table, from the numbers alone (exposed for tests).
std::string conclusion_for(const journal::Journal& run);
std::string summary_table(const std::vector<journal::Journal>& runs);

// The autoscaling lesson's (exposed for tests).
std::string autoscaling_conclusion(const journal::Journal& run);
std::string autoscaling_table(const std::vector<journal::Journal>& runs);

// The database lesson's (exposed for tests).
std::string database_conclusion(const journal::Journal& run);
std::string database_table(const std::vector<journal::Journal>& runs);

// The concurrency lesson's (exposed for tests).
std::string concurrency_conclusion(const journal::Journal& run);
std::string concurrency_table(const std::vector<journal::Journal>& runs);

// A number for a table cell or a sentence: rounded to a whole, no decimals.
std::string whole_number(double v);
// A lesson's run: the experiment `file` of `dir`, under the column name `label`.
// Throws ExperimentError for a bad file.
DemoRun demo_run_from(const std::filesystem::path& dir, const char* file, const char* label);

// Text table helpers every lesson uses: a first column of `name`, then one cell per run;
// the last row is always each run's verdict.
using DemoCell = std::function<std::string(std::size_t run)>;
using DemoRows = std::vector<std::pair<std::string, DemoCell>>;
std::string demo_table(const std::vector<journal::Journal>& runs, const DemoRows& rows);
// Appends a row. Out of line: g++ 12 inlining vector growth with a lambda at each call
// site warns of a bound it imagines (-Warray-bounds).
void add_row(DemoRows& rows, std::string name, DemoCell cell);

}  // namespace scalelab::experiment
