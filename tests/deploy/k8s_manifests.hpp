// deploy/k8s/*.yaml (and examples/), loaded with yaml-cpp: every document with the
// file it came from, and lookups the tests share (by kind and name, pod specs, a
// container's full command and environment).
#pragma once

#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace scalelab::deploytest {

struct Manifest {
  std::string file;  // relative to deploy/k8s
  YAML::Node doc;
  std::string kind() const { return doc["kind"] ? doc["kind"].as<std::string>() : ""; }
  std::string name() const { return doc["metadata"]["name"] ? doc["metadata"]["name"].as<std::string>() : ""; }
};

std::filesystem::path k8s_dir();
// Throws YAML::Exception (with the file named in the message) on a syntax error.
std::vector<Manifest> load_manifests();
// load_manifests(), once per process, for the tests that share it.
const std::vector<Manifest>& manifests();

const Manifest* find_manifest(const std::vector<Manifest>& all, const std::string& kind, const std::string& name);
// The KIND NAME among manifests(); throws std::runtime_error when there is none.
const Manifest& need(const std::string& kind, const std::string& name);

// spec.template.spec of a Deployment, StatefulSet, DaemonSet or Job; an undefined
// node (false in a condition) otherwise.
YAML::Node pod_spec(const Manifest& m);

// A selector's matchLabels against a pod's labels: true when every label it names
// has that value there (and it names at least one).
bool selects(const YAML::Node& match_labels, const YAML::Node& labels);

// node[k1][k2]... without yaml-cpp's throw when an intermediate key is missing:
// an undefined node then.
YAML::Node at(const YAML::Node& node, std::initializer_list<std::string> keys);

// command + args of a container.
std::vector<std::string> container_argv(const YAML::Node& container);
// Every variable a container gets, with its value when the manifests say it (env
// value, a ConfigMap key) and nullopt when they do not (Secrets, fieldRefs): env[],
// and the keys of ConfigMaps and Secrets it takes whole through envFrom.
std::map<std::string, std::optional<std::string>> container_env(const std::vector<Manifest>& all,
                                                                 const YAML::Node& container);
// The literal value of env NAME in a container, looking through envFrom ConfigMaps; "" if none.
std::string container_env_value(const std::vector<Manifest>& all, const YAML::Node& container, const std::string& name);

}  // namespace scalelab::deploytest
