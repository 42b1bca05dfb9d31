#include "tests/deploy/k8s_manifests.hpp"

#include <algorithm>
#include <stdexcept>

#include "tests/deploy/deploy_files.hpp"

namespace scalelab::deploytest {

std::filesystem::path k8s_dir() { return source_dir() / "deploy" / "k8s"; }

std::vector<Manifest> load_manifests() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(k8s_dir()))
    if (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<Manifest> out;
  for (const auto& file : files) {
    const std::string relative = std::filesystem::relative(file, k8s_dir()).string();
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(read_file(file));
    } catch (const YAML::Exception& e) {
      throw YAML::Exception(e.mark, relative + ": " + e.msg);
    }
    for (const auto& doc : docs)
      if (doc && !doc.IsNull()) out.push_back({relative, doc});
  }
  return out;
}

const std::vector<Manifest>& manifests() {
  static const std::vector<Manifest> all = load_manifests();
  return all;
}

const Manifest& need(const std::string& kind, const std::string& name) {
  const Manifest* m = find_manifest(manifests(), kind, name);
  if (m == nullptr) throw std::runtime_error("deploy/k8s has no " + kind + " " + name);
  return *m;
}

const Manifest* find_manifest(const std::vector<Manifest>& all, const std::string& kind, const std::string& name) {
  for (const auto& m : all)
    if (m.kind() == kind && m.name() == name) return &m;
  return nullptr;
}

YAML::Node pod_spec(const Manifest& m) {
  static const std::set<std::string> kWorkloads{"Deployment", "StatefulSet", "DaemonSet", "Job"};
  if (!kWorkloads.count(m.kind())) return YAML::Node(YAML::NodeType::Undefined);
  return at(m.doc, {"spec", "template", "spec"});
}

bool selects(const YAML::Node& match_labels, const YAML::Node& labels) {
  if (!match_labels || match_labels.size() == 0) return false;
  for (const auto& kv : match_labels) {
    const YAML::Node value = labels[kv.first.as<std::string>()];
    if (!value || value.as<std::string>() != kv.second.as<std::string>()) return false;
  }
  return true;
}

YAML::Node at(const YAML::Node& node, std::initializer_list<std::string> keys) {
  YAML::Node current = node;
  for (const auto& key : keys) {
    if (!current || !current.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& parent = current;  // const: a lookup must not insert the key
    YAML::Node next = parent[key];
    if (!next) return YAML::Node(YAML::NodeType::Undefined);
    current.reset(next);
  }
  return current;
}

std::vector<std::string> container_argv(const YAML::Node& container) {
  std::vector<std::string> argv;
  for (const char* key : {"command", "args"})
    if (container[key])
      for (const auto& word : container[key]) argv.push_back(word.as<std::string>());
  return argv;
}

std::map<std::string, std::optional<std::string>> container_env(const std::vector<Manifest>& all,
                                                                 const YAML::Node& container) {
  std::map<std::string, std::optional<std::string>> vars;
  for (const auto& from : container["envFrom"]) {
    const bool config_map = static_cast<bool>(from["configMapRef"]);
    const YAML::Node ref = config_map ? from["configMapRef"] : from["secretRef"];
    const Manifest* source = find_manifest(all, config_map ? "ConfigMap" : "Secret", ref["name"].as<std::string>());
    if (source == nullptr) continue;  // reported by the reference test
    for (const char* field : {"data", "stringData"})
      for (const auto& kv : source->doc[field])
        vars[kv.first.as<std::string>()] = config_map ? std::optional(kv.second.as<std::string>()) : std::nullopt;
  }
  // env[] overrides envFrom, as in Kubernetes.
  for (const auto& e : container["env"])
    vars[e["name"].as<std::string>()] = e["value"] ? std::optional(e["value"].as<std::string>()) : std::nullopt;
  return vars;
}

std::string container_env_value(const std::vector<Manifest>& all, const YAML::Node& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"].as<std::string>() == name && e["value"]) return e["value"].as<std::string>();
  for (const auto& from : container["envFrom"]) {
    if (!from["configMapRef"]) continue;
    const Manifest* source = find_manifest(all, "ConfigMap", from["configMapRef"]["name"].as<std::string>());
    if (source != nullptr && source->doc["data"][name]) return source->doc["data"][name].as<std::string>();
  }
  return "";
}

}  // namespace scalelab::deploytest
