// Every PromQL expression the deploy files carry, with where it comes from: the
// Grafana dashboard's panel targets and template variables, and the recording and
// alert rules. The name checks (name_check.hpp) run over these.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::deploytest {

struct Expression {
  std::string where;  // "dashboard panel 7 'Errors per instance' target B", "alerts.yml ScalelabSessionMisses"
  std::string expr;
};

struct RecordingRule {
  std::string name;
  std::string expr;
  std::string file;
};

std::filesystem::path rules_dir();      // deploy/prometheus/rules
std::filesystem::path dashboard_path(); // deploy/grafana/dashboards/scalelab.json
std::vector<std::filesystem::path> rule_files();  // rules_dir()/*.yml, sorted

// Panels in order, rows' nested panels included.
std::vector<nlohmann::json> all_panels(const nlohmann::json& dashboard);

// Targets' `expr`, and template variables' queries. Grafana's label_values(SEL, L) is
// rewritten as `group by (L) (SEL)` so that L is checked as a label of SEL.
std::vector<Expression> dashboard_expressions(const nlohmann::json& dashboard);

// Every `expr` of every rule in the files, and the recording rules alone.
std::vector<Expression> rule_expressions();
std::vector<RecordingRule> recording_rules();

}  // namespace scalelab::deploytest
