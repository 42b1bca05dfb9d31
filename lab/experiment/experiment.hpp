// An experiment file, parsed and validated. The format follows Chaos Toolkit's shape
// (title, description, tags, steady-state-hypothesis, method, rollbacks) plus what a
// lab needs: the cluster to bring up and the load to drive. experiments/README.md
// documents every field; a file that does not validate is refused with one line that
// names the file, the line and the field.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/journal/journal.hpp"
#include "lab/load/load_config.hpp"

namespace scalelab::experiment {

// "experiments/x.yaml:12: method[1].at: expected a duration such as 5s or 500ms"
class ExperimentError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

using Tolerance = journal::Tolerance;

struct ProbeSpec {
  std::string name;
  std::string type;      // violations, error_rate, latency, throughput, throughput_growth, status, ready,
                         // instances_serving, cold_start, ceiling
  std::string kind;      // violations: a kind or "any"
  bool rate = false;     // violations: a fraction of the kind's checks instead of a count
  int percentile = 99;   // latency
  std::string status;    // status: "503", "5xx", ...
  std::string window = "whole";  // before | whole | after_method
  Tolerance tolerance;
  int line = 0;
};

struct ActionSpec {
  std::string name;
  std::string type;  // kill, pause, resume, restart, scale, toggle, fault, clear
  nlohmann::json args = nlohmann::json::object();
  std::optional<std::chrono::milliseconds> at;  // method only
  int line = 0;
};

struct ClusterSpec {
  int instances = 3;
  std::string state = "shared";
  std::map<std::string, std::string> state_overrides;
  std::string balancer = "round_robin";
  std::string restart = "never";
  int restart_delay_ms = 1000;
  std::map<std::string, std::string> app_env;
  std::map<std::string, std::string> balancer_env;
  std::string autoscale;  // `scalelab up --autoscale` SPEC; empty: the count is `instances`
  // The database (`scalelab up --database --db-max-connections --db-pooler`).
  bool database = true;
  int db_max_connections = 100;
  std::string db_pooler = "none";
};

struct Experiment {
  std::string title, description, file;
  std::vector<std::string> tags;
  ClusterSpec cluster;
  load::LoadConfig load;  // target is set by the runner
  std::string hypothesis_title;
  std::vector<ProbeSpec> probes;
  std::vector<ActionSpec> method, rollbacks;

  // What the journal says of the experiment.
  journal::ExperimentInfo journal_info() const;
};

// Reads and validates `path`. Throws ExperimentError.
Experiment load_experiment(const std::string& path);
// Validates YAML text; `name` is used in messages.
Experiment parse_experiment(const std::string& yaml_text, const std::string& name);

}  // namespace scalelab::experiment
