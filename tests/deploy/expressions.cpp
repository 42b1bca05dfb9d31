#include "tests/deploy/expressions.hpp"

#include <algorithm>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_files.hpp"

namespace scalelab::deploytest {

std::filesystem::path rules_dir() { return source_dir() / "deploy" / "prometheus" / "rules"; }
std::filesystem::path dashboard_path() { return source_dir() / "deploy" / "grafana" / "dashboards" / "scalelab.json"; }

std::vector<std::filesystem::path> rule_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(rules_dir()))
    if (entry.path().extension() == ".yml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<nlohmann::json> all_panels(const nlohmann::json& dashboard) {
  std::vector<nlohmann::json> out;
  for (const auto& panel : dashboard.value("panels", nlohmann::json::array())) {
    out.push_back(panel);
    for (const auto& nested : panel.value("panels", nlohmann::json::array())) out.push_back(nested);
  }
  return out;
}

std::vector<Expression> dashboard_expressions(const nlohmann::json& dashboard) {
  std::vector<Expression> out;
  for (const auto& panel : all_panels(dashboard)) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      out.push_back({"dashboard panel " + std::to_string(panel.value("id", 0)) + " '" + panel.value("title", "") +
                         "' target " + target.value("refId", "?"),
                     target.value("expr", "")});
    }
  }
  static const std::regex label_values(R"(^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)");
  for (const auto& variable : dashboard.value("templating", nlohmann::json::object()).value("list", nlohmann::json::array())) {
    if (variable.value("type", "") != "query") continue;
    std::string query = variable.value("definition", "");
    if (variable.contains("query") && variable["query"].is_object()) query = variable["query"].value("query", query);
    std::smatch m;
    if (std::regex_match(query, m, label_values)) query = "group by (" + m[2].str() + ") (" + m[1].str() + ")";
    out.push_back({"dashboard variable $" + variable.value("name", ""), query});
  }
  return out;
}

std::vector<Expression> rule_expressions() {
  std::vector<Expression> out;
  for (const auto& file : rule_files()) {
    const YAML::Node doc = YAML::LoadFile(file.string());
    for (const auto& group : doc["groups"])
      for (const auto& rule : group["rules"]) {
        const std::string name = rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
        out.push_back({file.filename().string() + " " + name, rule["expr"].as<std::string>()});
      }
  }
  return out;
}

std::vector<RecordingRule> recording_rules() {
  std::vector<RecordingRule> out;
  for (const auto& file : rule_files()) {
    const YAML::Node doc = YAML::LoadFile(file.string());
    for (const auto& group : doc["groups"])
      for (const auto& rule : group["rules"])
        if (rule["record"])
          out.push_back({rule["record"].as<std::string>(), rule["expr"].as<std::string>(), file.filename().string()});
  }
  return out;
}

}  // namespace scalelab::deploytest
