// PostgreSQL in deploy/k8s (23-postgres.yaml), statically: the app pods' connection
// pools fit in what max_connections leaves ordinary roles, however far the HPA and a
// rollout push the pod count; the init ConfigMap is deploy/postgres/initdb byte for
// byte; and the app, the server, the exporter and Prometheus agree on hosts, ports,
// roles and Secret keys.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/k8s_manifests.hpp"

namespace scalelab::deploytest {
namespace {

YAML::Node container(const Manifest& workload, const std::string& name) {
  for (const auto& c : pod_spec(workload)["containers"])
    if (c["name"].as<std::string>() == name) return c;
  throw std::runtime_error(workload.name() + " has no container " + name);
}

YAML::Node env_entry(const YAML::Node& c, const std::string& name) {
  for (const auto& e : c["env"])
    if (e["name"].as<std::string>() == name) return e;
  return YAML::Node(YAML::NodeType::Undefined);
}

// "secret/key" of an env entry's secretKeyRef; "" when it has none.
std::string secret_key_of(const YAML::Node& c, const std::string& name) {
  const YAML::Node ref = at(env_entry(c, name), {"valueFrom", "secretKeyRef"});
  return ref ? ref["name"].as<std::string>() + "/" + ref["key"].as<std::string>() : "";
}

int container_port(const YAML::Node& c, const std::string& port_name) {
  for (const auto& p : c["ports"])
    if (p["name"].as<std::string>() == port_name) return p["containerPort"].as<int>();
  return -1;
}

// The database-side numbers: PostgreSQL refuses ordinary roles past max_connections
// minus superuser_reserved_connections; the app pods log in as an ordinary role.
int connections_for_ordinary_roles(int max_connections, int superuser_reserved) {
  return max_connections - superuser_reserved;
}

// The most app connections the manifests allow at once: every pod the HPA may run,
// plus the extra pods a rollout starts before it stops old ones, each with a full pool.
int worst_case_app_connections(int max_replicas, int max_surge, int pool) { return (max_replicas + max_surge) * pool; }

// A rollingUpdate maxSurge, a count or a percentage of the desired replicas (rounded
// up, as the Deployment controller does); Kubernetes' default is 25%.
int surge_pods(const YAML::Node& max_surge, int replicas) {
  const std::string value = max_surge ? max_surge.as<std::string>() : "25%";
  if (value.empty() || value.back() != '%') return std::stoi(value);
  return static_cast<int>(std::ceil(replicas * std::stod(value.substr(0, value.size() - 1)) / 100.0));
}

// `-c name=value` (or --name=value) among the server's arguments; nullopt when absent.
std::optional<int> server_setting(const std::vector<std::string>& argv, const std::string& name) {
  std::optional<int> value;
  for (const auto& word : argv) {
    std::smatch m;
    if (std::regex_match(word, m, std::regex("(?:--)?" + name + "=(\\d+)"))) value = std::stoi(m[1]);
  }
  return value;
}

TEST(K8sDatabase, TheBudgetArithmeticRejectsAPoolThatDoesNotFit) {
  EXPECT_EQ(connections_for_ordinary_roles(100, 3), 97);
  EXPECT_EQ(worst_case_app_connections(10, 1, 8), 88);
  EXPECT_LE(worst_case_app_connections(10, 1, 8), connections_for_ordinary_roles(100, 3));
  // One more connection per pod, the app's default pool, or one more surge pod: too many.
  EXPECT_GT(worst_case_app_connections(10, 1, 9), connections_for_ordinary_roles(100, 3));
  EXPECT_GT(worst_case_app_connections(10, 1, 10), connections_for_ordinary_roles(100, 3));
  EXPECT_GT(worst_case_app_connections(10, 3, 8), connections_for_ordinary_roles(100, 3));
  EXPECT_EQ(surge_pods(YAML::Load("1"), 10), 1);
  EXPECT_EQ(surge_pods(YAML::Load("25%"), 10), 3);
  EXPECT_EQ(surge_pods(YAML::Node(YAML::NodeType::Undefined), 10), 3);
  EXPECT_EQ(server_setting({"postgres", "-c", "max_connections=50"}, "max_connections"), 50);
  EXPECT_EQ(server_setting({"postgres"}, "max_connections"), std::nullopt);
}

// The lesson of the database: N pods x pool must fit in max_connections - reserved,
// for the largest N the manifests allow, not the replicas running today.
TEST(K8sDatabase, AppPoolsFitInTheServersConnectionsAtTheMostPodsAllowed) {
  const auto argv = container_argv(container(need("StatefulSet", "postgres"), "postgres"));
  const auto max_connections = server_setting(argv, "max_connections");
  ASSERT_TRUE(max_connections) << "set max_connections explicitly: the budget depends on it";
  const int reserved = server_setting(argv, "superuser_reserved_connections").value_or(3);  // PostgreSQL's default

  const Manifest& hpa = need("HorizontalPodAutoscaler", "scalelab-app");
  const Manifest& app = need(hpa.doc["spec"]["scaleTargetRef"]["kind"].as<std::string>(),
                             hpa.doc["spec"]["scaleTargetRef"]["name"].as<std::string>());
  const int max_replicas = hpa.doc["spec"]["maxReplicas"].as<int>();
  EXPECT_LE(app.doc["spec"]["replicas"].as<int>(), max_replicas);
  ASSERT_EQ(at(app.doc, {"spec", "strategy", "type"}).as<std::string>("RollingUpdate"), "RollingUpdate");
  const int surge = surge_pods(at(app.doc, {"spec", "strategy", "rollingUpdate", "maxSurge"}), max_replicas);

  const std::string pool_text = container_env_value(manifests(), container(app, "app"), "SCALELAB_DB_POOL");
  ASSERT_FALSE(pool_text.empty()) << "set SCALELAB_DB_POOL explicitly: the app's default is not budgeted";
  const int pool = std::stoi(pool_text);

  const int worst = worst_case_app_connections(max_replicas, surge, pool);
  const int available = connections_for_ordinary_roles(*max_connections, reserved);
  EXPECT_LE(worst, available) << "(" << max_replicas << " + " << surge << ") x " << pool << " = " << worst
                              << " connections, but max_connections " << *max_connections << " - " << reserved
                              << " reserved leaves " << available;
}

TEST(K8sDatabase, InitConfigMapIsTheInitdbFolder) {
  const Manifest& init = need("ConfigMap", "scalelab-postgres-init");
  const auto dir = source_dir() / "deploy" / "postgres" / "initdb";
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    files.insert(name);
    ASSERT_TRUE(init.doc["data"][name]) << name << " is missing";
    EXPECT_EQ(init.doc["data"][name].as<std::string>(), read_file(entry.path()))
        << name << " differs from deploy/postgres/initdb/" << name
        << ": copy the file into 23-postgres.yaml's ConfigMap, indented four spaces";
  }
  std::set<std::string> keys;
  for (const auto& kv : init.doc["data"]) keys.insert(kv.first.as<std::string>());
  EXPECT_EQ(keys, files);
  // The image runs what it finds in /docker-entrypoint-initdb.d on the first start.
  const YAML::Node pg = container(need("StatefulSet", "postgres"), "postgres");
  std::string volume;
  for (const auto& m : pg["volumeMounts"])
    if (m["mountPath"].as<std::string>() == "/docker-entrypoint-initdb.d") volume = m["name"].as<std::string>();
  ASSERT_FALSE(volume.empty()) << "the init ConfigMap is not mounted at /docker-entrypoint-initdb.d";
  for (const auto& v : pod_spec(need("StatefulSet", "postgres"))["volumes"])
    if (v["name"].as<std::string>() == volume) {
      EXPECT_EQ(at(v, {"configMap", "name"}).as<std::string>(""), init.name());
    }
}

TEST(K8sDatabase, PostgresKeepsItsDataInASubfolderOfAClaim) {
  const Manifest& sts = need("StatefulSet", "postgres");
  EXPECT_EQ(sts.doc["spec"]["replicas"].as<int>(), 1);
  const YAML::Node pg = container(sts, "postgres");
  EXPECT_EQ(pg["image"].as<std::string>(), "postgres:15-bookworm");
  const std::string pgdata = container_env_value(manifests(), pg, "PGDATA");
  std::string claim_mount;
  for (const auto& t : sts.doc["spec"]["volumeClaimTemplates"])
    for (const auto& m : pg["volumeMounts"])
      if (m["name"].as<std::string>() == t["metadata"]["name"].as<std::string>()) claim_mount = m["mountPath"].as<std::string>();
  ASSERT_FALSE(claim_mount.empty()) << "no volumeClaimTemplate mounted in the postgres container";
  // initdb wants an empty folder; a fresh volume's root may hold lost+found.
  EXPECT_EQ(pgdata.rfind(claim_mount + "/", 0), 0u) << "PGDATA " << pgdata << " is not below " << claim_mount;
  EXPECT_GT(pgdata.size(), claim_mount.size() + 1);
  // Ready only when the real server takes TCP connections, not during initialisation.
  std::string readiness;
  for (const auto& w : at(pg, {"readinessProbe", "exec", "command"})) readiness += w.as<std::string>() + " ";
  EXPECT_EQ(readiness, "pg_isready -h 127.0.0.1 -U postgres ");
}

TEST(K8sDatabase, TheAppReachesThePostgresServiceAsTheRoleTheInitScriptMakes) {
  const Manifest& app = need("Deployment", "scalelab-app");
  const YAML::Node a = container(app, "app");
  const std::string url = container_env_value(manifests(), a, "SCALELAB_DATABASE_URL");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(url, m, std::regex(R"(postgres(?:ql)?://([^@:/]+)@([^:/]+):(\d+)/(\w+))"))) << url;
  const std::string user = m[1], host = m[2], port = m[3], database = m[4];
  // An ordinary role: the superuser would draw on the connections reserved for it.
  EXPECT_NE(user, "postgres");
  const std::string script = need("ConfigMap", "scalelab-postgres-init").doc["data"]["10-scalelab-app.sh"].as<std::string>();
  EXPECT_NE(script.find("CREATE ROLE " + user + " LOGIN"), std::string::npos) << user;
  EXPECT_NE(script.find("CREATE DATABASE " + database + " OWNER " + user), std::string::npos) << database;

  const Manifest& service = need("Service", host);
  const Manifest& sts = need("StatefulSet", "postgres");
  EXPECT_TRUE(selects(service.doc["spec"]["selector"], sts.doc["spec"]["template"]["metadata"]["labels"]));
  bool port_found = false;
  for (const auto& p : service.doc["spec"]["ports"])
    if (p["port"].as<std::string>() == port) {
      port_found = true;
      EXPECT_EQ(container_port(container(sts, "postgres"), p["targetPort"].as<std::string>()), 5432)
          << "PostgreSQL listens on 5432";
    }
  EXPECT_TRUE(port_found) << "Service " << host << " has no port " << port;

  // libpq takes the password from PGPASSWORD: the key the init script gives the role.
  EXPECT_FALSE(secret_key_of(a, "PGPASSWORD").empty()) << "the app needs PGPASSWORD from a Secret";
  EXPECT_EQ(secret_key_of(a, "PGPASSWORD"), secret_key_of(container(sts, "postgres"), "APP_DB_PASSWORD"));
}

TEST(K8sDatabase, TheExporterLogsInAsTheSuperuserAndPrometheusScrapesIt) {
  const Manifest& sts = need("StatefulSet", "postgres");
  const YAML::Node pg = container(sts, "postgres");
  const YAML::Node exporter = container(sts, "postgres-exporter");
  EXPECT_EQ(exporter["image"].as<std::string>(), "prometheuscommunity/postgres-exporter:v0.11.1");
  // $(VAR) expands only variables listed before it in the same container.
  const std::string dsn = container_env_value(manifests(), exporter, "DATA_SOURCE_NAME");
  EXPECT_EQ(dsn, "postgresql://postgres:$(POSTGRES_PASSWORD)@127.0.0.1:" +
                     std::to_string(container_port(pg, "postgres")) + "/postgres?sslmode=disable");
  int password_at = -1, dsn_at = -1, i = 0;
  for (const auto& e : exporter["env"]) {
    if (e["name"].as<std::string>() == "POSTGRES_PASSWORD") password_at = i;
    if (e["name"].as<std::string>() == "DATA_SOURCE_NAME") dsn_at = i;
    ++i;
  }
  ASSERT_GE(password_at, 0);
  EXPECT_LT(password_at, dsn_at) << "POSTGRES_PASSWORD must come before DATA_SOURCE_NAME to be expanded in it";
  EXPECT_EQ(secret_key_of(exporter, "POSTGRES_PASSWORD"), secret_key_of(pg, "POSTGRES_PASSWORD"));
  EXPECT_EQ(secret_key_of(pg, "POSTGRES_PASSWORD"), "scalelab-postgres/postgres-password");

  const YAML::Node config = YAML::Load(need("ConfigMap", "prometheus-config").doc["data"]["prometheus.yml"].as<std::string>());
  YAML::Node sd;
  for (const auto& job : config["scrape_configs"])
    if (job["job_name"].as<std::string>() == "postgres") sd = job["dns_sd_configs"][0];
  ASSERT_TRUE(sd) << "no dns_sd job `postgres` in 51-prometheus-config.yaml";
  const Manifest& service = need("Service", sd["names"][0].as<std::string>());
  EXPECT_EQ(service.doc["spec"]["clusterIP"].as<std::string>(), "None");
  EXPECT_TRUE(service.doc["spec"]["publishNotReadyAddresses"].as<bool>(false)) << "an unready database must be scraped too";
  EXPECT_TRUE(selects(service.doc["spec"]["selector"], sts.doc["spec"]["template"]["metadata"]["labels"]));
  const YAML::Node port = service.doc["spec"]["ports"][0];
  EXPECT_EQ(port["port"].as<std::string>(), sd["port"].as<std::string>());
  EXPECT_EQ(port["targetPort"].as<std::string>(), "metrics");
  EXPECT_EQ(container_port(exporter, "metrics"), sd["port"].as<int>());
}

}  // namespace
}  // namespace scalelab::deploytest
