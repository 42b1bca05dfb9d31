// docker-compose.yml, as Debian's `docker-compose config` (1.29) resolves it: valid,
// with the services, replicas, healthchecks and start-up gates deploy/COMPOSE.md describes; the
// scalelab services pass only flags and variables the binaries' --help lists; and
// the pieces agree with each other (ports, DNS names, mounts, bucket, credentials).
// This is the static half; deploy/offline/smoke.sh (CI's compose stage) runs the stack.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "tests/deploy/binary_help.hpp"
#include "tests/deploy/deploy_files.hpp"

namespace scalelab::deploytest {
namespace {

struct Compose {
  int exit_code = -1;
  std::string output;
  YAML::Node doc;
};

// `docker-compose --profile load config` with `env` set (the load service is in a
// profile; config shows it only with the profile on).
Compose compose_config(const std::map<std::string, std::string>& env = {}) {
  Compose c;
  auto result = run({"docker-compose", "--profile", "load", "-f", (source_dir() / "docker-compose.yml").string(), "config"},
                    env, source_dir());
  c.exit_code = result.ran ? result.exit_code : -1;
  c.output = result.output;
  if (c.exit_code == 0) c.doc = YAML::Load(result.output);
  return c;
}

class ComposeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tool("docker-compose"))
      GTEST_SKIP() << "docker-compose is not installed (scripts/setup.sh --test installs it); not validated";
    config_ = compose_config();
    ASSERT_EQ(config_.exit_code, 0) << "docker-compose config failed:\n" << config_.output;
  }
  YAML::Node service(const std::string& name) const {
    const YAML::Node s = config_.doc["services"][name];
    if (!s) throw std::runtime_error("docker-compose.yml has no service " + name);
    return s;
  }
  std::vector<std::string> words(const YAML::Node& list) const {
    std::vector<std::string> out;
    for (const auto& w : list) out.push_back(w.as<std::string>());
    return out;
  }
  std::string env(const std::string& svc, const std::string& name) const {
    const YAML::Node v = service(svc)["environment"][name];
    return v ? v.as<std::string>() : "";
  }
  static std::string port_of(const std::string& host_port) { return host_port.substr(host_port.rfind(':') + 1); }
  // A published port as `config` prints it: "HOST_IP:PUBLISHED:TARGET/tcp" when bound
  // to an address, else a map with `target` and `published`.
  struct Published {
    std::string host_ip, published, target;
  };
  static Published published(const YAML::Node& port) {
    if (port.IsMap())
      return {port["host_ip"] ? port["host_ip"].as<std::string>() : "", port["published"].as<std::string>(),
              port["target"].as<std::string>()};
    std::string text = port.as<std::string>();
    text = text.substr(0, text.find('/'));
    const auto last = text.rfind(':'), middle = text.rfind(':', last - 1);
    return {text.substr(0, middle), text.substr(middle + 1, last - middle - 1), text.substr(last + 1)};
  }

  Compose config_;
};

TEST_F(ComposeTest, HasEveryServiceTheIssueAsksFor) {
  std::set<std::string> names;
  for (const auto& kv : config_.doc["services"]) names.insert(kv.first.as<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"app", "balancer", "redis", "minio", "minio-init", "postgres",
                                          "postgres-exporter", "prometheus", "grafana", "load"}));
  EXPECT_EQ(words(service("load")["profiles"]), std::vector<std::string>{"load"}) << "load is optional";
}

TEST_F(ComposeTest, AppHasThreeReplicasAndTakesTheStateFromTheEnvironment) {
  EXPECT_EQ(service("app")["deploy"]["replicas"].as<int>(), 3);
  EXPECT_EQ(env("app", "SCALELAB_STATE"), "shared");
  const auto local = compose_config({{"SCALELAB_STATE", "local"}});
  ASSERT_EQ(local.exit_code, 0) << local.output;
  EXPECT_EQ(local.doc["services"]["app"]["environment"]["SCALELAB_STATE"].as<std::string>(), "local");
  EXPECT_EQ(env("app", "SCALELAB_LISTEN"), "0.0.0.0:8080") << "other containers must reach the app";
}

TEST_F(ComposeTest, TheAppsAdminApiIsOnLoopbackInsideEachContainerOnly) {
  const std::string admin = env("app", "SCALELAB_ADMIN_LISTEN");
  EXPECT_EQ(admin.rfind("127.0.0.1:", 0), 0u) << "no other container (the balancer included) may reach " << admin;
  EXPECT_NE(port_of(admin), port_of(env("app", "SCALELAB_LISTEN")));
  EXPECT_FALSE(env("app", "SCALELAB_ADMIN_TOKEN").empty());
  // The walkthrough toggles inside each container, never through the balancer.
  const std::string walkthrough = read_file(source_dir() / "deploy" / "COMPOSE.md");
  EXPECT_EQ(walkthrough.find(":8080/admin"), std::string::npos);
  EXPECT_NE(walkthrough.find("scalelab-probe -a -X PUT -d '{\"mode\":\"local\"}' " + port_of(admin) + " /admin/state"),
            std::string::npos);
}

TEST_F(ComposeTest, HealthchecksGateStartUp) {
  auto condition = [&](const std::string& svc, const std::string& dep) {
    const YAML::Node d = service(svc)["depends_on"][dep];
    return d ? d["condition"].as<std::string>() : std::string("(none)");
  };
  EXPECT_EQ(condition("minio-init", "minio"), "service_healthy");
  EXPECT_EQ(condition("app", "redis"), "service_healthy");
  EXPECT_EQ(condition("app", "minio-init"), "service_completed_successfully");
  EXPECT_EQ(condition("balancer", "app"), "service_healthy");
  EXPECT_EQ(condition("prometheus", "balancer"), "service_healthy");
  EXPECT_EQ(condition("grafana", "prometheus"), "service_healthy");
  EXPECT_EQ(condition("load", "balancer"), "service_healthy");
  // Every service something waits on for health has a real healthcheck.
  for (const auto& kv : config_.doc["services"])
    for (const auto& dep : kv.second["depends_on"])
      if (dep.second["condition"].as<std::string>() == "service_healthy") {
        const YAML::Node test = service(dep.first.as<std::string>())["healthcheck"]["test"];
        ASSERT_TRUE(test) << dep.first << " has no healthcheck but " << kv.first << " waits for it";
        EXPECT_NE(test[0].as<std::string>(), "NONE") << dep.first;
      }
}

TEST_F(ComposeTest, ImagesArePinnedAndScalelabServicesShareOneBuild) {
  for (const auto& kv : config_.doc["services"]) {
    const std::string name = kv.first.as<std::string>();
    const std::string image = kv.second["image"].as<std::string>();
    ASSERT_NE(image.find(':'), std::string::npos) << name << ": untagged image " << image;
    EXPECT_NE(image.substr(image.rfind(':')), ":latest") << name;
    if (image.rfind("scalelab:", 0) == 0) {
      EXPECT_EQ(kv.second["build"]["dockerfile"].as<std::string>(), "deploy/Dockerfile") << name;
      EXPECT_EQ(kv.second["build"]["context"].as<std::string>(), source_dir().string()) << name;
    }
  }
}

TEST_F(ComposeTest, RedisKeepsAnAppendOnlyFileOnAVolume) {
  const auto command = words(service("redis")["command"]);
  const auto aof = std::find(command.begin(), command.end(), "--appendonly");
  ASSERT_NE(aof, command.end());
  EXPECT_EQ(*(aof + 1), "yes");
  bool data_volume = false;
  for (const auto& v : service("redis")["volumes"])
    if (std::regex_match(v.as<std::string>(), std::regex(R"(redis-data:/data(:rw)?)"))) data_volume = true;
  EXPECT_TRUE(data_volume);
}

TEST_F(ComposeTest, AppReachesMinioWithTheBucketAndKeysMinioInitSetsUp) {
  EXPECT_EQ(env("app", "SCALELAB_S3_ENDPOINT"), "http://minio:9000");
  EXPECT_EQ(env("app", "SCALELAB_REDIS_URL"), "redis://redis:6379");
  EXPECT_EQ(env("app", "SCALELAB_S3_BUCKET"), env("minio-init", "BUCKET"));
  EXPECT_EQ(env("app", "AWS_ACCESS_KEY_ID"), env("minio", "MINIO_ROOT_USER"));
  EXPECT_EQ(env("app", "AWS_SECRET_ACCESS_KEY"), env("minio", "MINIO_ROOT_PASSWORD"));
  EXPECT_EQ(env("minio-init", "MINIO_ROOT_USER"), env("minio", "MINIO_ROOT_USER"));
  const std::string init = words(service("minio-init")["command"]).at(0);
  EXPECT_NE(init.find("mc mb --ignore-existing"), std::string::npos) << init;
  EXPECT_NE(init.find("http://minio:9000"), std::string::npos) << init;
}

TEST_F(ComposeTest, BalancerDiscoversTheAppReplicasThroughDns) {
  const auto command = words(service("balancer")["command"]);
  const auto flag = std::find(command.begin(), command.end(), "--discover-dns");
  ASSERT_NE(flag, command.end());
  EXPECT_EQ(*(flag + 1), "app:" + port_of(env("app", "SCALELAB_LISTEN")));
  EXPECT_EQ(env("balancer", "SCALELAB_BALANCER_LISTEN"), "0.0.0.0:8080");
}

TEST_F(ComposeTest, PrometheusScrapesEveryReplicaThroughDnsWithTheRules) {
  std::string host_dir, config_file;
  for (const auto& v : service("prometheus")["volumes"]) {
    const std::string mount = v.as<std::string>();
    if (mount.find(":/etc/scalelab/prometheus") != std::string::npos) host_dir = mount.substr(0, mount.find(':'));
  }
  ASSERT_EQ(host_dir, (source_dir() / "deploy" / "prometheus").string());
  for (const auto& w : words(service("prometheus")["command"]))
    if (w.rfind("--config.file=", 0) == 0) config_file = w.substr(std::string("--config.file=").size());
  ASSERT_EQ(config_file, "/etc/scalelab/prometheus/prometheus.yml");

  const YAML::Node prom = YAML::LoadFile(host_dir + "/prometheus.yml");
  std::map<std::string, YAML::Node> jobs;
  for (const auto& job : prom["scrape_configs"]) jobs.emplace(job["job_name"].as<std::string>(), YAML::Node(job));
  ASSERT_TRUE(jobs.count("app") && jobs.count("balancer") && jobs.count("prometheus"));
  const YAML::Node dns = jobs["app"]["dns_sd_configs"][0];
  EXPECT_EQ(dns["names"][0].as<std::string>(), "app");
  EXPECT_EQ(dns["type"].as<std::string>(), "A");
  EXPECT_EQ(dns["port"].as<std::string>(), port_of(env("app", "SCALELAB_LISTEN")));
  EXPECT_EQ(jobs["balancer"]["static_configs"][0]["targets"][0].as<std::string>(),
            "balancer:" + port_of(env("balancer", "SCALELAB_BALANCER_ADMIN_LISTEN")));
  EXPECT_EQ(prom["rule_files"][0].as<std::string>(), "rules/*.yml");
  // The Grafana data source (deploy/grafana/provisioning) points at this service.
  EXPECT_EQ(published(service("prometheus")["ports"][0]).target, "9090");
}

// The database's pieces agree: the replicas reach the postgres service as the ordinary
// role its first start makes, with the password that start gives it; their pools fit
// the server's budget; the exporter and Prometheus' job `postgres` see the server.
TEST_F(ComposeTest, TheReplicasPoolsFitPostgresAndPrometheusSeesIt) {
  EXPECT_EQ(env("app", "SCALELAB_DATABASE_URL"), "postgresql://scalelab_app@postgres:5432/scalelab");
  EXPECT_EQ(env("app", "PGPASSWORD"), env("postgres", "APP_DB_PASSWORD"));
  EXPECT_EQ(service("app")["depends_on"]["postgres"]["condition"].as<std::string>(), "service_healthy");
  std::string initdb;
  for (const auto& v : service("postgres")["volumes"]) {
    const std::string mount = v.as<std::string>();
    if (mount.find(":/docker-entrypoint-initdb.d") != std::string::npos) initdb = mount.substr(0, mount.find(':'));
  }
  EXPECT_EQ(initdb, (source_dir() / "deploy" / "postgres" / "initdb").string());
  const std::string script = read_file(source_dir() / "deploy" / "postgres" / "initdb" / "10-scalelab-app.sh");
  EXPECT_NE(script.find("CREATE ROLE scalelab_app"), std::string::npos);
  EXPECT_NE(script.find("CREATE DATABASE scalelab OWNER scalelab_app"), std::string::npos);

  // Three replicas x their pool within max_connections minus the superuser's 3.
  int max_connections = 0;
  for (const auto& w : words(service("postgres")["command"]))
    if (w.rfind("max_connections=", 0) == 0) max_connections = std::stoi(w.substr(w.find('=') + 1));
  const int pools = service("app")["deploy"]["replicas"].as<int>() * std::stoi(env("app", "SCALELAB_DB_POOL"));
  EXPECT_GT(max_connections, 0);
  EXPECT_LE(pools, max_connections - 3) << "the replicas' pools alone would spend the budget";

  const std::string dsn = env("postgres-exporter", "DATA_SOURCE_NAME");
  EXPECT_EQ(dsn, "postgresql://postgres:" + env("postgres", "POSTGRES_PASSWORD") + "@postgres:5432/postgres?sslmode=disable");
  const YAML::Node prom = YAML::LoadFile((source_dir() / "deploy" / "prometheus" / "prometheus.yml").string());
  std::string target;
  for (const auto& job : prom["scrape_configs"])
    if (job["job_name"].as<std::string>() == "postgres") target = job["static_configs"][0]["targets"][0].as<std::string>();
  EXPECT_EQ(target, "postgres-exporter:9187");
}

TEST_F(ComposeTest, GrafanaMountsTheProvisioningAndTheDashboards) {
  std::map<std::string, std::string> mounts;  // container path -> host path
  for (const auto& v : service("grafana")["volumes"]) {
    const std::string m = v.as<std::string>();
    const auto first = m.find(':');
    const auto second = m.find(':', first + 1);
    mounts[m.substr(first + 1, second - first - 1)] = m.substr(0, first);
  }
  EXPECT_EQ(mounts["/etc/grafana/provisioning"], (source_dir() / "deploy" / "grafana" / "provisioning").string());
  const YAML::Node provider =
      YAML::LoadFile((source_dir() / "deploy/grafana/provisioning/dashboards/scalelab.yml").string())["providers"][0];
  const std::string dashboards = provider["options"]["path"].as<std::string>();
  ASSERT_TRUE(mounts.count(dashboards)) << "the dashboard provider reads " << dashboards << ", which is not mounted";
  EXPECT_TRUE(std::filesystem::exists(mounts[dashboards] + "/scalelab.json"));
  const std::string home = env("grafana", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
  EXPECT_EQ(home, dashboards + "/scalelab.json");
}

// `scalelab load` drives 127.0.0.0/8 only (lab/load/load_config.cpp): the load service
// shares the balancer's network namespace and targets it on loopback.
TEST_F(ComposeTest, LoadDrivesTheBalancerOnLoopbackInItsNetworkNamespace) {
  EXPECT_EQ(service("load")["network_mode"].as<std::string>(), "service:balancer");
  const auto command = words(service("load")["command"]);
  const auto target = std::find(command.begin(), command.end(), "--target");
  ASSERT_NE(target, command.end());
  EXPECT_EQ(*(target + 1), "127.0.0.1:" + port_of(env("balancer", "SCALELAB_BALANCER_LISTEN")));
}

TEST_F(ComposeTest, ScalelabServicesPassOnlyWhatTheBinariesAccept) {
  HelpCache help;
  int checked = 0;
  for (const auto& kv : config_.doc["services"]) {
    if (kv.second["image"].as<std::string>().rfind("scalelab:", 0) != 0) continue;
    const std::string name = kv.first.as<std::string>();
    std::map<std::string, std::optional<std::string>> vars;
    for (const auto& e : kv.second["environment"]) vars[e.first.as<std::string>()] = e.second.as<std::string>("");
    const auto argv = words(kv.second["command"]);
    for (const auto& problem : check_invocation(help, "docker-compose.yml service " + name, argv, vars))
      ADD_FAILURE() << problem;
    ++checked;
    // The healthcheck probes the port this service listens on.
    const YAML::Node test = kv.second["healthcheck"]["test"];
    if (!test || test[0].as<std::string>() == "NONE") continue;
    const auto probe = words(test);
    ASSERT_EQ(probe.at(1), "scalelab-probe") << name;
    const std::string listen = argv.at(0) == "scalelab-balancer" ? env(name, "SCALELAB_BALANCER_ADMIN_LISTEN")
                                                                 : env(name, "SCALELAB_LISTEN");
    EXPECT_NE(std::find(probe.begin(), probe.end(), port_of(listen)), probe.end())
        << name << "'s healthcheck does not probe the port it listens on (" << listen << ")";
  }
  EXPECT_EQ(checked, 3);
}

// Every port is published on loopback unless SCALELAB_PUBLISH_ADDRESS opens it, and the
// admin port and MinIO's console never are; Prometheus has no lifecycle API (POST
// /-/quit); every log is capped and rotated (the balancer's access log is a line per
// request).
TEST_F(ComposeTest, PortsStayOnLoopbackUnlessOpenedAndNothingIsUnbounded) {
  const std::map<std::string, std::string> opened_env{{"SCALELAB_PUBLISH_ADDRESS", "0.0.0.0"}};
  const Compose opened = compose_config(opened_env);
  ASSERT_EQ(opened.exit_code, 0) << opened.output;
  const std::set<std::string> openable{"8080", "9090", "3000"};
  int seen = 0;
  for (const auto& svc : config_.doc["services"]) {
    const std::string name = svc.first.as<std::string>();
    const YAML::Node ports = svc.second["ports"];
    for (std::size_t i = 0; ports && i < ports.size(); ++i) {
      ++seen;
      const Published by_default = published(ports[i]);
      EXPECT_EQ(by_default.host_ip, "127.0.0.1") << name << " publishes " << by_default.published << " beyond loopback";
      const Published wide = published(opened.doc["services"][name]["ports"][i]);
      EXPECT_EQ(wide.host_ip, openable.count(wide.target) ? "0.0.0.0" : "127.0.0.1") << name << " " << wide.target;
    }
    const YAML::Node logging = svc.second["logging"];
    ASSERT_TRUE(logging) << name << " has no log cap";
    EXPECT_EQ(logging["driver"].as<std::string>(), "json-file") << name;
    EXPECT_TRUE(logging["options"]["max-size"] && logging["options"]["max-file"]) << name << ": unbounded log";
  }
  EXPECT_GE(seen, 5);
  for (const auto& arg : service("prometheus")["command"])
    EXPECT_EQ(arg.as<std::string>().find("lifecycle"), std::string::npos) << arg.as<std::string>();
}

// The override for a machine with no registry resolves on top of the same file, and
// replaces only images that would come from a registry.
TEST_F(ComposeTest, TheOfflineOverrideReplacesOnlyRegistryImages) {
  auto result = run({"docker-compose", "-f", (source_dir() / "docker-compose.yml").string(), "-f",
                     (source_dir() / "deploy/offline/docker-compose.offline.yml").string(), "config"},
                    {}, source_dir());
  ASSERT_TRUE(result.ran && result.exit_code == 0) << result.output;
  const YAML::Node doc = YAML::Load(result.output);
  for (const char* svc : {"redis", "minio", "minio-init", "prometheus"})
    EXPECT_EQ(doc["services"][svc]["image"].as<std::string>().rfind("scalelab-offline/", 0), 0u) << svc;
  for (const char* svc : {"app", "balancer"})
    EXPECT_EQ(doc["services"][svc]["image"].as<std::string>(), service(svc)["image"].as<std::string>()) << svc;
  // Left out: grafana has no Debian package. (config lists every service, profiles too.)
  const YAML::Node grafana_profiles = doc["services"]["grafana"]["profiles"];
  ASSERT_TRUE(grafana_profiles && grafana_profiles.size() == 1) << "grafana must move to a profile of its own";
  EXPECT_EQ(grafana_profiles[0].as<std::string>(), "grafana");
  EXPECT_EQ(doc["networks"]["default"]["ipam"]["config"][0]["subnet"].as<std::string>(), "172.31.250.0/24");
}

}  // namespace
}  // namespace scalelab::deploytest
