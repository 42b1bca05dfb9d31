#include "lab/supervisor/lab_config.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace scalelab::lab {

std::string to_string(RestartPolicy p) { return p == RestartPolicy::always ? "always" : "never"; }

RestartPolicy parse_restart_policy(const std::string& text) {
  if (text == "never") return RestartPolicy::never;
  if (text == "always") return RestartPolicy::always;
  throw std::invalid_argument("restart policy must be 'never' or 'always' (got '" + text + "')");
}

nlohmann::json to_json(const LabConfig& c) {
  return {{"dir", std::filesystem::absolute(c.dir).string()},
          {"id", c.id},
          {"base_port", c.ports.base},
          {"instances", c.instances},
          {"state", c.state},
          {"state_overrides", c.state_overrides},
          {"algorithm", c.algorithm},
          {"restart", to_string(c.restart)},
          {"restart_delay_ms", c.restart_delay.count()},
          {"prometheus", c.prometheus},
          {"app_env", c.app_env},
          {"balancer_env", c.balancer_env},
          {"binaries", c.binaries},
          {"database", c.database},
          {"db_max_connections", c.db_max_connections},
          {"db_pooler", c.db_pooler},
          {"autoscale", c.autoscale ? to_json(*c.autoscale) : nlohmann::json(nullptr)},
          {"ports",
           {{"balancer", c.ports.balancer()},
            {"balancer_admin", c.ports.balancer_admin()},
            {"supervisor", c.ports.supervisor()},
            {"redis", c.ports.redis()},
            {"redis_proxy", c.ports.redis_proxy()},
            {"s3", c.ports.s3()},
            {"s3_proxy", c.ports.s3_proxy()},
            {"faults_api", c.ports.faults_api()},
            {"prometheus", c.ports.prometheus()},
            {"postgres", c.ports.postgres()},
            {"pgbouncer", c.ports.pgbouncer()}}}};
}

LabConfig lab_config_from_json(const nlohmann::json& j) {
  try {
    LabConfig c;
    c.dir = j.at("dir").get<std::string>();
    c.id = j.value("id", std::string());
    c.ports.base = j.at("base_port").get<std::uint16_t>();
    c.instances = j.at("instances").get<int>();
    c.state = j.at("state").get<std::string>();
    c.state_overrides = j.value("state_overrides", std::map<std::string, std::string>{});
    c.algorithm = j.at("algorithm").get<std::string>();
    c.restart = parse_restart_policy(j.at("restart").get<std::string>());
    c.restart_delay = std::chrono::milliseconds(j.value("restart_delay_ms", 1000));
    c.prometheus = j.value("prometheus", false);
    c.app_env = j.value("app_env", std::map<std::string, std::string>{});
    c.balancer_env = j.value("balancer_env", std::map<std::string, std::string>{});
    c.binaries = j.value("binaries", std::string());
    c.database = j.value("database", false);
    c.db_max_connections = j.value("db_max_connections", 100);
    c.db_pooler = j.value("db_pooler", std::string("none"));
    if (j.contains("autoscale") && !j["autoscale"].is_null()) c.autoscale = autoscale_policy_from_json(j["autoscale"]);
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("lab.json: ") + e.what());
  }
}

std::string instance_database_url(const LabConfig& c) {
  const std::uint16_t port = c.db_pooler == "pgbouncer" ? c.ports.pgbouncer() : c.ports.postgres();
  return std::string("postgresql://") + kDbRole + "@127.0.0.1:" + std::to_string(port) + "/" + kDbName;
}

LabConfig read_lab_config(const std::filesystem::path& dir) {
  std::ifstream in(lab_file(dir));
  if (!in) throw std::runtime_error("no lab in " + dir.string() + " (start one with: scalelab up --dir " + dir.string() + ")");
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(lab_file(dir).string() + " is not valid JSON");
  return lab_config_from_json(j);
}

void write_lab_config(const LabConfig& c) {
  std::filesystem::create_directories(c.dir);
  const auto tmp = lab_file(c.dir).string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_json(c).dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, lab_file(c.dir));
}

}  // namespace scalelab::lab
