// deploy/k8s, statically (no cluster here): every document parses and has the fields
// the API server requires; selectors match pod labels; Services, probes, ConfigMaps,
// Secrets and volumes reference things that exist; the app has its probes, drain and
// resources; and the rules ConfigMap is the rules files, byte for byte.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "lab/supervisor/autoscaler.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/expressions.hpp"
#include "tests/deploy/k8s_manifests.hpp"

namespace scalelab::deploytest {
namespace {

const std::map<std::string, std::string> kApiVersions{
    {"Namespace", "v1"},        {"Secret", "v1"},
    {"ConfigMap", "v1"},        {"PersistentVolumeClaim", "v1"},
    {"Service", "v1"},          {"ServiceAccount", "v1"},
    {"Deployment", "apps/v1"},  {"StatefulSet", "apps/v1"},
    {"Job", "batch/v1"},
    {"Role", "rbac.authorization.k8s.io/v1"}, {"RoleBinding", "rbac.authorization.k8s.io/v1"},
    {"PodDisruptionBudget", "policy/v1"},     {"HorizontalPodAutoscaler", "autoscaling/v2"}};

std::vector<const Manifest*> workloads() {
  std::vector<const Manifest*> out;
  for (const auto& m : manifests())
    if (pod_spec(m)) out.push_back(&m);
  return out;
}

TEST(K8s, EveryDocumentHasApiVersionKindAndName) {
  ASSERT_GT(manifests().size(), 15u);
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& m : manifests()) {
    SCOPED_TRACE(m.file + " " + m.kind() + " " + m.name());
    ASSERT_TRUE(m.doc["apiVersion"] && m.doc["kind"]);
    ASSERT_TRUE(kApiVersions.count(m.kind())) << "unexpected kind";
    EXPECT_EQ(m.doc["apiVersion"].as<std::string>(), kApiVersions.at(m.kind()));
    EXPECT_TRUE(std::regex_match(m.name(), std::regex("[a-z0-9]([-a-z0-9]*[a-z0-9])?"))) << "not a DNS-1123 name";
    EXPECT_TRUE(seen.insert({m.kind(), m.name()}).second) << "defined twice";
    if (m.kind() != "Namespace") {
      ASSERT_TRUE(m.doc["metadata"]["namespace"]) << "no namespace";
      EXPECT_EQ(m.doc["metadata"]["namespace"].as<std::string>(), "scalelab");
    }
  }
  need("Namespace", "scalelab");
}

TEST(K8s, NamespaceIsCreatedFirst) {
  // `kubectl apply -f deploy/k8s/` goes through the files in name order.
  EXPECT_EQ(manifests().front().kind(), "Namespace");
}

TEST(K8s, WorkloadSelectorsMatchTheirPodLabels) {
  for (const auto* m : workloads()) {
    SCOPED_TRACE(m->file + " " + m->name());
    if (m->kind() == "Job") continue;  // a Job's selector is generated
    EXPECT_TRUE(selects(m->doc["spec"]["selector"]["matchLabels"], m->doc["spec"]["template"]["metadata"]["labels"]));
  }
}

TEST(K8s, ContainersArePinnedAndHaveResources) {
  for (const auto* m : workloads())
    for (const auto& c : pod_spec(*m)["containers"]) {
      SCOPED_TRACE(m->file + " " + m->name() + " container " + c["name"].as<std::string>());
      const std::string image = c["image"].as<std::string>();
      ASSERT_NE(image.find(':'), std::string::npos) << "untagged image " << image;
      EXPECT_NE(image.substr(image.rfind(':')), ":latest") << image;
      EXPECT_TRUE(at(c, {"resources", "requests", "cpu"})) << "no CPU request";
      EXPECT_TRUE(at(c, {"resources", "requests", "memory"})) << "no memory request";
      EXPECT_TRUE(at(c, {"resources", "limits", "memory"})) << "no memory limit";
      EXPECT_FALSE(at(c, {"securityContext", "allowPrivilegeEscalation"}).as<bool>(true));
    }
}

TEST(K8s, ProbesUseNamedPortsTheContainerDeclares) {
  for (const auto* m : workloads())
    for (const auto& c : pod_spec(*m)["containers"]) {
      std::set<std::string> ports;
      for (const auto& p : c["ports"]) ports.insert(p["name"].as<std::string>());
      for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) {
        const YAML::Node p = c[probe];
        if (!p) continue;
        const YAML::Node port = p["httpGet"] ? at(p, {"httpGet", "port"}) : at(p, {"tcpSocket", "port"});
        if (!port) continue;  // exec probe
        EXPECT_TRUE(ports.count(port.as<std::string>())) << m->name() << " " << probe << " uses port " << port;
      }
    }
}

TEST(K8s, ServicesSelectPodsAndTheirPortNames) {
  for (const auto& m : manifests()) {
    if (m.kind() != "Service") continue;
    SCOPED_TRACE(m.name());
    const YAML::Node selector = m.doc["spec"]["selector"];
    const Manifest* target = nullptr;
    for (const auto* w : workloads())
      if (selects(selector, w->doc["spec"]["template"]["metadata"]["labels"])) target = w;
    ASSERT_NE(target, nullptr) << "selects no pods";
    std::set<std::string> ports;
    for (const auto& c : pod_spec(*target)["containers"])
      for (const auto& p : c["ports"]) ports.insert(p["name"].as<std::string>());
    for (const auto& p : m.doc["spec"]["ports"]) EXPECT_TRUE(ports.count(p["targetPort"].as<std::string>())) << p["targetPort"];
  }
  EXPECT_EQ(need("Service", "scalelab-app-headless").doc["spec"]["clusterIP"].as<std::string>(), "None");
}

TEST(K8s, ReferencedConfigMapsSecretsAndClaimsExist) {
  auto has_key = [](const Manifest& m, const std::string& key) {
    for (const char* field : {"data", "stringData"})
      if (m.doc[field] && m.doc[field][key]) return true;
    return false;
  };
  for (const auto* w : workloads()) {
    SCOPED_TRACE(w->file + " " + w->name());
    const YAML::Node spec = pod_spec(*w);
    for (const auto& c : spec["containers"]) {
      for (const auto& e : c["env"]) {
        const YAML::Node from = e["valueFrom"];
        if (!from) continue;
        for (const auto& [field, kind] : {std::pair{"configMapKeyRef", "ConfigMap"}, std::pair{"secretKeyRef", "Secret"}})
          if (from[field]) {
            const Manifest* m = find_manifest(manifests(), kind, from[field]["name"].as<std::string>());
            ASSERT_NE(m, nullptr) << "no " << kind << " " << from[field]["name"];
            EXPECT_TRUE(has_key(*m, from[field]["key"].as<std::string>())) << kind << " key " << from[field]["key"];
          }
      }
      for (const auto& from : c["envFrom"]) {
        const bool cm = static_cast<bool>(from["configMapRef"]);
        const std::string name = (cm ? from["configMapRef"] : from["secretRef"])["name"].as<std::string>();
        EXPECT_NE(find_manifest(manifests(), cm ? "ConfigMap" : "Secret", name), nullptr) << name;
      }
    }
    // Every mount names a volume of the pod or, in a StatefulSet, a claim template
    // (each pod gets its own PersistentVolumeClaim from it).
    std::set<std::string> volumes;
    for (const auto& v : spec["volumes"]) volumes.insert(v["name"].as<std::string>());
    for (const auto& t : w->doc["spec"]["volumeClaimTemplates"]) volumes.insert(t["metadata"]["name"].as<std::string>());
    for (const auto& c : spec["containers"])
      for (const auto& mount : c["volumeMounts"])
        EXPECT_TRUE(volumes.count(mount["name"].as<std::string>())) << "no volume " << mount["name"];
    for (const auto& v : spec["volumes"]) {
      if (v["configMap"]) {
        EXPECT_NE(find_manifest(manifests(), "ConfigMap", v["configMap"]["name"].as<std::string>()), nullptr);
      }
      if (v["persistentVolumeClaim"]) {
        EXPECT_NE(find_manifest(manifests(), "PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"].as<std::string>()),
                  nullptr);
      }
    }
    if (spec["serviceAccountName"]) {
      EXPECT_NE(find_manifest(manifests(), "ServiceAccount", spec["serviceAccountName"].as<std::string>()), nullptr);
    }
  }
}

TEST(K8s, AppHasReplicasProbesDrainAndResources) {
  const Manifest& app = need("Deployment", "scalelab-app");
  EXPECT_EQ(app.doc["spec"]["replicas"].as<int>(), 3);
  const YAML::Node spec = pod_spec(app);
  const YAML::Node c = spec["containers"][0];
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  ASSERT_TRUE(at(c, {"lifecycle", "preStop", "exec", "command"}));
  std::string pre_stop;
  for (const auto& w : c["lifecycle"]["preStop"]["exec"]["command"]) pre_stop += w.as<std::string>() + " ";
  EXPECT_NE(pre_stop.find("/admin/drain"), std::string::npos) << pre_stop;
  // The drain goes to the app's admin address, on loopback in the pod (never the
  // service port, which has no /admin), with the token the admin API wants.
  const std::string admin = container_env_value(manifests(), c, "SCALELAB_ADMIN_LISTEN");
  EXPECT_EQ(admin.rfind("127.0.0.1:", 0), 0u) << admin;
  EXPECT_NE(admin.substr(admin.rfind(':')), ":" + c["ports"][0]["containerPort"].as<std::string>());
  EXPECT_NE(pre_stop.find("scalelab-probe -a -X POST " + admin.substr(admin.rfind(':') + 1) + " /admin/drain"),
            std::string::npos)
      << pre_stop;
  bool token_from_secret = false;
  for (const auto& e : c["env"])
    if (e["name"].as<std::string>() == "SCALELAB_ADMIN_TOKEN" && at(e, {"valueFrom", "secretKeyRef", "name"}))
      token_from_secret = true;
  EXPECT_TRUE(token_from_secret) << "-a sends $SCALELAB_ADMIN_TOKEN, which the container must have";
  // preStop's sleep, then the app's drain grace and shutdown timeout, must fit in the
  // grace period, or the kubelet SIGKILLs a pod that is still finishing requests.
  std::smatch sleep;
  ASSERT_TRUE(std::regex_search(pre_stop, sleep, std::regex(R"(sleep (\d+))")));
  const auto ms = [&](const std::string& name) { return std::stoi(container_env_value(manifests(), c, name)); };
  const int needed_s = std::stoi(sleep[1]) + (ms("SCALELAB_DRAIN_GRACE_MS") + ms("SCALELAB_SHUTDOWN_TIMEOUT_MS")) / 1000;
  EXPECT_LT(needed_s, spec["terminationGracePeriodSeconds"].as<int>());
  EXPECT_EQ(spec["securityContext"]["runAsUser"].as<int>(), 10001) << "the image's USER (deploy/Dockerfile)";
  EXPECT_TRUE(spec["securityContext"]["runAsNonRoot"].as<bool>());
  // The pod name is the instance id, so metrics and X-Instance name the pod.
  bool instance_from_pod = false;
  for (const auto& e : c["env"])
    if (e["name"].as<std::string>() == "SCALELAB_INSTANCE_ID" &&
        at(e, {"valueFrom", "fieldRef", "fieldPath"}).as<std::string>("") == "metadata.name")
      instance_from_pod = true;
  EXPECT_TRUE(instance_from_pod);
}

TEST(K8s, TheAppListensOnThePortItsProbesAndServicesUse) {
  const Manifest& app = need("Deployment", "scalelab-app");
  const YAML::Node c = pod_spec(app)["containers"][0];
  const std::string listen = container_env_value(manifests(), c, "SCALELAB_LISTEN");
  EXPECT_EQ(listen, "0.0.0.0:" + c["ports"][0]["containerPort"].as<std::string>());
  const Manifest& balancer = need("Deployment", "scalelab-balancer");
  const YAML::Node b = pod_spec(balancer)["containers"][0];
  for (const auto& p : b["ports"]) {
    const std::string var = p["name"].as<std::string>() == "admin" ? "SCALELAB_BALANCER_ADMIN_LISTEN" : "SCALELAB_BALANCER_LISTEN";
    EXPECT_EQ(container_env_value(manifests(), b, var), "0.0.0.0:" + p["containerPort"].as<std::string>());
  }
}

TEST(K8s, BalancerDiscoversTheHeadlessService) {
  const auto argv = container_argv(pod_spec(need("Deployment", "scalelab-balancer"))["containers"][0]);
  const auto flag = std::find(argv.begin(), argv.end(), "--discover-dns");
  ASSERT_NE(flag, argv.end());
  ASSERT_NE(flag + 1, argv.end());
  const Manifest& headless = need("Service", "scalelab-app-headless");
  EXPECT_EQ(*(flag + 1), headless.name() + ":" + headless.doc["spec"]["ports"][0]["port"].as<std::string>());
}

// Prometheus finds pods by DNS on headless Services that publish unready pods too, on
// the ports the pods serve /metrics on, under the job names the rules select.
TEST(K8s, PrometheusDiscoversEveryPodThroughHeadlessServices) {
  const YAML::Node config = YAML::Load(need("ConfigMap", "prometheus-config").doc["data"]["prometheus.yml"].as<std::string>());
  std::map<std::string, std::string> workload_of_job{{"app", "scalelab-app"}, {"balancer", "scalelab-balancer"}};
  std::set<std::string> jobs;
  for (const auto& job : config["scrape_configs"]) {
    const std::string name = job["job_name"].as<std::string>();
    jobs.insert(name);
    if (!workload_of_job.count(name)) continue;
    const YAML::Node sd = job["dns_sd_configs"][0];
    ASSERT_TRUE(sd) << name;
    const Manifest& service = need("Service", sd["names"][0].as<std::string>());
    EXPECT_EQ(service.doc["spec"]["clusterIP"].as<std::string>(), "None") << service.name();
    EXPECT_TRUE(service.doc["spec"]["publishNotReadyAddresses"].as<bool>(false)) << service.name();
    EXPECT_EQ(service.doc["spec"]["ports"][0]["port"].as<std::string>(), sd["port"].as<std::string>()) << service.name();
    const Manifest& workload = need("Deployment", workload_of_job[name]);
    EXPECT_TRUE(selects(service.doc["spec"]["selector"], workload.doc["spec"]["template"]["metadata"]["labels"]));
  }
  EXPECT_TRUE(jobs.count("app") && jobs.count("balancer")) << "the rules select on these job names";
}

TEST(K8s, DisruptionBudgetAndAutoscalerTargetTheApp) {
  const Manifest& app = need("Deployment", "scalelab-app");
  const Manifest& pdb = need("PodDisruptionBudget", "scalelab-app");
  EXPECT_TRUE(selects(pdb.doc["spec"]["selector"]["matchLabels"], app.doc["spec"]["template"]["metadata"]["labels"]));
  EXPECT_LT(pdb.doc["spec"]["minAvailable"].as<int>(), app.doc["spec"]["replicas"].as<int>()) << "would block every node drain";
  const Manifest& hpa = need("HorizontalPodAutoscaler", "scalelab-app");
  EXPECT_EQ(hpa.doc["spec"]["scaleTargetRef"]["kind"].as<std::string>(), "Deployment");
  EXPECT_EQ(hpa.doc["spec"]["scaleTargetRef"]["name"].as<std::string>(), app.name());
  EXPECT_EQ(hpa.file.rfind("examples/", 0), 0u) << "the HPA is an example, outside `kubectl apply -f deploy/k8s/`";
}

// The example HPA behaves as the lab's autoscaler does by default, so that a lab run
// predicts it: the same rate policies and windows (lab/supervisor/autoscaler.hpp).
TEST(K8s, TheExampleAutoscalerHasTheLabsDefaultBehaviour) {
  const YAML::Node behavior = need("HorizontalPodAutoscaler", "scalelab-app").doc["spec"]["behavior"];
  auto expect_rules = [](const YAML::Node& rules, const lab::ScalingRules& lab_rules, const char* direction) {
    SCOPED_TRACE(direction);
    EXPECT_EQ(rules["stabilizationWindowSeconds"].as<long>() * 1000, lab_rules.stabilization_window.count());
    EXPECT_EQ(rules["selectPolicy"].as<std::string>(), "Max");
    ASSERT_EQ(rules["policies"].size(), lab_rules.policies.size());
    for (std::size_t i = 0; i < lab_rules.policies.size(); ++i) {
      const auto& want = lab_rules.policies[i];
      EXPECT_EQ(rules["policies"][i]["type"].as<std::string>(), want.type == lab::ScalingPolicyType::pods ? "Pods" : "Percent");
      EXPECT_EQ(rules["policies"][i]["value"].as<int>(), want.value);
      EXPECT_EQ(rules["policies"][i]["periodSeconds"].as<long>() * 1000, want.period.count());
    }
  };
  expect_rules(behavior["scaleUp"], lab::default_scale_up_rules(), "scaleUp");
  expect_rules(behavior["scaleDown"], lab::default_scale_down_rules(), "scaleDown");
}

TEST(K8s, RedisKeepsAnAppendOnlyFileOnAVolume) {
  const YAML::Node c = pod_spec(need("Deployment", "redis"))["containers"][0];
  const auto argv = container_argv(c);
  const auto aof = std::find(argv.begin(), argv.end(), "--appendonly");
  ASSERT_NE(aof, argv.end());
  EXPECT_EQ(*(aof + 1), "yes");
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"].as<std::string>(), "/data");
}

TEST(K8s, RulesConfigMapIsTheRulesFiles) {
  const Manifest& rules = need("ConfigMap", "prometheus-rules");
  std::set<std::string> keys;
  for (const auto& kv : rules.doc["data"]) keys.insert(kv.first.as<std::string>());
  std::set<std::string> files;
  for (const auto& f : rule_files()) {
    files.insert(f.filename().string());
    ASSERT_TRUE(rules.doc["data"][f.filename().string()]) << f.filename() << " is missing";
    EXPECT_EQ(rules.doc["data"][f.filename().string()].as<std::string>(), read_file(f))
        << f.filename() << " differs from deploy/prometheus/rules: run deploy/k8s/update-prometheus-rules.sh";
  }
  EXPECT_EQ(keys, files) << "run deploy/k8s/update-prometheus-rules.sh";
}

}  // namespace
}  // namespace scalelab::deploytest
