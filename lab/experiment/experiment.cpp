// Parsing and validating experiment files with yaml-cpp. Every error names the file,
// the line (yaml-cpp keeps each node's position) and the field, in one line.
#include "lab/experiment/experiment.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lab/faultproxy/fault_args.hpp"
#include "lab/supervisor/autoscaler.hpp"

namespace scalelab::experiment {
namespace {

// A mapping node with its path for messages, that refuses keys it was not asked about.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string path, std::string file)
      : node_(node), path_(std::move(path)), file_(std::move(file)) {
    if (!node_.IsMap()) fail(node_, "expected a mapping");
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what, const std::string& field = "") const {
    const int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    std::string where = path_;
    if (!field.empty()) where += (where.empty() ? "" : ".") + field;
    throw ExperimentError(file_ + ":" + std::to_string(line) + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  bool has(const std::string& key) {
    seen_.insert(key);
    return node_[key].IsDefined() && !node_[key].IsNull();
  }
  YAML::Node get(const std::string& key) {
    seen_.insert(key);
    return node_[key];
  }
  int line() const { return node_.Mark().line + 1; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  std::string str(const std::string& key, const std::string& fallback = "", bool required = false) {
    if (!has(key)) {
      if (required) fail(node_, "is required", key);
      return fallback;
    }
    const auto n = get(key);
    if (!n.IsScalar()) fail(n, "expected text", key);
    return n.as<std::string>();
  }

  std::string choice(const std::string& key, const std::string& fallback, std::initializer_list<const char*> allowed) {
    return choice(key, fallback, std::vector<std::string>(allowed.begin(), allowed.end()));
  }
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed) {
    const std::string value = str(key, fallback);
    std::string list;
    for (const std::string& a : allowed) {
      if (value == a) return value;
      list += (list.empty() ? "" : ", ") + a;
    }
    fail(get(key), "must be one of " + list + " (got '" + value + "')", key);
  }

  long long integer(const std::string& key, long long fallback, long long min, long long max) {
    if (!has(key)) return fallback;
    const auto n = get(key);
    long long value = 0;
    try {
      if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
      value = n.as<long long>();
    } catch (const YAML::Exception&) {
      fail(n, "expected an integer", key);
    }
    if (value < min || value > max)
      fail(n, "must be from " + std::to_string(min) + " to " + std::to_string(max), key);
    return value;
  }

  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback, bool required = false) {
    if (!has(key)) {
      if (required) fail(node_, "is required", key);
      return fallback;
    }
    const auto n = get(key);
    try {
      return load::parse_duration(n.as<std::string>());
    } catch (const std::exception&) {
      fail(n, "expected a duration such as 5s, 500ms or 1.5s", key);
    }
  }

  // Refuses keys nobody asked about: a typo must not be silently ignored.
  void done() {
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!seen_.count(key)) fail(kv.first, "unknown field '" + key + "'");
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  std::string file_;
  std::set<std::string> seen_;
};

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

Tolerance parse_tolerance(Fields& f, const YAML::Node& n) {
  Tolerance t;
  if (n.IsScalar()) {
    const std::string text = n.as<std::string>();
    if (text == "true" || text == "false") {
      t.equals = text == "true";
    } else {
      try {
        t.max = n.as<double>();
      } catch (const YAML::Exception&) {
        f.fail(n, "expected a number, true/false, [min, max] or {max: x}", "tolerance");
      }
    }
  } else if (n.IsSequence() && n.size() == 2) {
    try {
      t.min = n[0].as<double>();
      t.max = n[1].as<double>();
    } catch (const YAML::Exception&) {
      f.fail(n, "a range is [min, max] of numbers", "tolerance");
    }
  } else if (n.IsMap()) {
    Fields r(n, f.path() + ".tolerance", f.file());
    try {
      if (r.has("max")) t.max = r.get("max").as<double>();
      if (r.has("min")) t.min = r.get("min").as<double>();
    } catch (const YAML::Exception&) {
      f.fail(n, "min and max are numbers", "tolerance");
    }
    if (!t.max && !t.min) f.fail(n, "give max, min or both", "tolerance");
  } else {
    f.fail(n, "expected a number, true/false, [min, max] or {max: x}", "tolerance");
  }
  return t;
}

ProbeSpec parse_probe(const YAML::Node& node, const std::string& path, const std::string& file) {
  Fields f(node, path, file);
  ProbeSpec p;
  p.line = f.line();
  p.type = f.choice("type", "", {"violations", "error_rate", "latency", "throughput", "throughput_growth", "status", "ready",
                                      "instances_serving", "cold_start", "ceiling"});
  p.name = f.str("name", p.type);
  p.window = f.choice("window", "whole", {"before", "whole", "after_method"});
  if (p.type == "violations") {
    std::vector<std::string> kinds = {"any"};
    for (const std::string& k : journal::known_violation_kinds()) kinds.push_back(k);
    p.kind = f.choice("kind", "any", kinds);
    if (f.has("rate")) p.rate = f.get("rate").as<bool>();
  }
  if (p.type == "latency" || p.type == "cold_start")
    p.percentile = static_cast<int>(f.integer("percentile", 99, 50, 999));
  if (p.type == "status") p.status = f.str("status", "", true);
  if (!f.has("tolerance")) f.fail(node, "is required", "tolerance");
  p.tolerance = parse_tolerance(f, f.get("tolerance"));
  if (p.type == "ready" && !p.tolerance.equals) f.fail(f.get("tolerance"), "a ready probe's tolerance is true or false", "tolerance");
  f.done();
  return p;
}

// The words `scalelab fault` would take, validated by the fault proxy's own parser.
nlohmann::json toxic_of(const YAML::Node& node, Fields& f, const nlohmann::json& args) {
  std::vector<std::string> words;
  for (const auto& [k, v] : args.items())
    if (k != "link" && k != "toxic") words.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  try {
    return faultproxy::toxic_from_args(args.value("toxic", ""), words);
  } catch (const std::exception& e) {
    f.fail(node, e.what(), "args");
  }
}

ActionSpec parse_action(const YAML::Node& node, const std::string& path, const std::string& file, bool timed) {
  Fields f(node, path, file);
  ActionSpec a;
  a.line = f.line();
  if (f.has("type") && f.str("type") != "action") f.fail(f.get("type"), "only actions run here (type: action)", "type");
  a.type = f.choice("action", "", {"kill", "pause", "resume", "restart", "scale", "toggle", "fault", "clear"});
  if (timed) a.at = f.duration("at", {}, true);
  nlohmann::json args = nlohmann::json::object();
  if (f.has("args")) {
    const auto n = f.get("args");
    if (!n.IsMap()) f.fail(n, "expected a mapping", "args");
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      const std::string value = kv.second.as<std::string>();
      long long number = 0;
      bool is_number = false;
      try {
        number = kv.second.as<long long>();
        is_number = true;
      } catch (const YAML::Exception&) {
      }
      args[key] = is_number ? nlohmann::json(number) : nlohmann::json(value);
    }
  }
  auto need = [&](const char* key) {
    if (!args.contains(key)) f.fail(node, std::string("needs args.") + key, "args");
  };
  if (a.type == "kill" || a.type == "pause" || a.type == "resume" || a.type == "restart") need("id");
  if (a.type == "kill" && !args.contains("signal")) args["signal"] = "KILL";
  if (a.type == "scale") {
    need("instances");
    if (!args["instances"].is_number_integer()) f.fail(node, "args.instances is an integer", "args");
  }
  if (a.type == "toggle") {
    need("mode");
    if (args["mode"] != "shared" && args["mode"] != "local") f.fail(node, "args.mode is shared or local", "args");
  }
  if (a.type == "fault" || a.type == "clear") {
    need("link");
    if (args["link"] != "redis" && args["link"] != "s3") f.fail(node, "args.link is redis or s3", "args");
  }
  if (a.type == "fault") {
    need("toxic");
    args["body"] = toxic_of(node, f, args);
  }
  a.args = args;
  std::string target = args.contains("id") ? " " + args["id"].get<std::string>() : args.contains("link") ? " " + args["link"].get<std::string>() : "";
  a.name = f.str("name", a.type + target);
  f.done();
  return a;
}

}  // namespace

journal::ExperimentInfo Experiment::journal_info() const {
  nlohmann::json state = nlohmann::json::object();
  for (const char* c : {"sessions", "cache", "uploads", "ratelimit"}) {
    auto it = cluster.state_overrides.find(c);
    state[c] = it == cluster.state_overrides.end() ? cluster.state : it->second;
  }
  journal::ExperimentInfo info;
  info.title = title;
  info.description = description;
  info.file = file;
  info.tags = tags;
  info.cluster = {{"instances", cluster.instances},
                  {"state", state},
                  {"balancer", cluster.balancer},
                  {"restart", cluster.restart},
                  {"restart_delay_ms", cluster.restart_delay_ms},
                  {"app_env", cluster.app_env},
                  {"balancer_env", cluster.balancer_env}};
  if (!cluster.autoscale.empty()) info.cluster["autoscale"] = cluster.autoscale;
  info.cluster["database"] = cluster.database;
  if (cluster.database) {
    info.cluster["db_max_connections"] = cluster.db_max_connections;
    info.cluster["db_pooler"] = cluster.db_pooler;
  }
  load::to_json(info.load, load);
  return info;
}

Experiment parse_experiment(const std::string& yaml_text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ExperimentError(name + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw ExperimentError(name + ":1: expected a mapping with title, cluster, load, method...");
  Fields top(root, "", name);
  Experiment x;
  x.file = name;
  x.title = top.str("title", "", true);
  x.description = top.str("description");
  if (top.has("tags")) {
    const auto tags = top.get("tags");
    if (!tags.IsSequence()) top.fail(tags, "expected a list", "tags");
    for (const auto& t : tags) x.tags.push_back(t.as<std::string>());
  }

  if (top.has("cluster")) {
    Fields c(top.get("cluster"), "cluster", name);
    // 0 starts the lab at zero (Knative's initial-scale 0): only an autoscaler with
    // min=0 can then bring the first instance, when the first request arrives.
    x.cluster.instances = static_cast<int>(c.integer("instances", 3, 0, 50));
    if (c.has("state")) {
      const auto s = c.get("state");
      if (s.IsMap()) {
        Fields sf(s, "cluster.state", name);
        x.cluster.state = sf.choice("all", "shared", {"shared", "local"});
        for (const char* concern : {"sessions", "cache", "uploads", "ratelimit"})
          if (sf.has(concern)) x.cluster.state_overrides[concern] = sf.choice(concern, "shared", {"shared", "local"});
        sf.done();
      } else {
        x.cluster.state = c.choice("state", "shared", {"shared", "local"});
      }
    }
    x.cluster.balancer = c.choice("balancer", "round_robin", {"round_robin", "least_conn", "sticky"});
    x.cluster.restart = c.choice("restart", "never", {"never", "always"});
    x.cluster.restart_delay_ms = static_cast<int>(c.duration("restart_delay", std::chrono::milliseconds(1000)).count());
    x.cluster.database = c.choice("database", "on", {"on", "off"}) == "on";
    x.cluster.db_max_connections = static_cast<int>(c.integer("db_max_connections", 100, 5, 10000));
    x.cluster.db_pooler = c.choice("db_pooler", "none", {"none", "pgbouncer"});
    if (c.has("autoscale")) {
      x.cluster.autoscale = c.str("autoscale");
      try {
        const lab::AutoscalePolicy policy = lab::parse_autoscale_policy(x.cluster.autoscale);
        if (x.cluster.instances < policy.min_replicas || x.cluster.instances > policy.max_replicas)
          throw std::invalid_argument("instances (" + std::to_string(x.cluster.instances) + ") must be within min..max");
      } catch (const std::invalid_argument& e) {
        std::string why = e.what();
        if (why.rfind("autoscale: ", 0) == 0) why.erase(0, 11);  // the field is named already
        c.fail(c.get("autoscale"), why, "autoscale");
      }
    } else if (x.cluster.instances == 0) {
      c.fail(c.get("instances"), "0 starts the lab at zero, which needs an autoscale policy with min=0", "instances");
    }
    for (auto [field, env] : {std::pair{"app_env", &x.cluster.app_env}, std::pair{"balancer_env", &x.cluster.balancer_env}}) {
      if (!c.has(field)) continue;
      const auto vars = c.get(field);
      if (!vars.IsMap()) c.fail(vars, "expected a mapping of SCALELAB_* variables", field);
      for (const auto& kv : vars) (*env)[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
    // The instances' concurrency model (services/app/concurrency_model.hpp), as `scalelab
    // up --app-model` sets it.
    if (c.has("app_model"))
      x.cluster.app_env["SCALELAB_APP_MODEL"] = c.choice("app_model", "pool", {"pool", "thread-per-connection", "event-loop", "event-loops", "fibers"});
    c.done();
  }

  if (!top.has("load")) top.fail(root, "is required", "load");
  {
    Fields l(top.get("load"), "load", name);
    auto& cfg = x.load;
    cfg.duration = l.duration("duration", {}, true);
    cfg.users = static_cast<unsigned>(l.integer("users", 10, 1, 100000));
    if (l.has("stages")) {
      try {
        cfg.stages = load::parse_stages(l.get("stages").as<std::string>());
      } catch (const std::exception& e) {
        l.fail(l.get("stages"), e.what(), "stages");
      }
      if (cfg.duration < load::stages_duration(cfg.stages))
        l.fail(l.get("stages"), "the stages last longer than load.duration", "stages");
    }
    if (l.has("rate")) {
      try {
        cfg.rate = load::parse_rate(l.get("rate").as<std::string>());
      } catch (const std::exception&) {
        l.fail(l.get("rate"), "expected requests per second, such as 200 or 200/s", "rate");
      }
    }
    cfg.threads = static_cast<unsigned>(l.integer("threads", 1, 1, 64));
    if (l.has("mix")) {
      try {
        cfg.mix = load::parse_mix(l.get("mix").as<std::string>());
      } catch (const std::exception& e) {
        l.fail(l.get("mix"), e.what(), "mix");
      }
    }
    cfg.think_time = l.duration("think_time", cfg.think_time);
    cfg.work_io_ms = static_cast<unsigned>(l.integer("work_io_ms", cfg.work_io_ms, 0, 10000));
    cfg.work_cpu_ms = static_cast<unsigned>(l.integer("work_cpu_ms", cfg.work_cpu_ms, 0, 10000));
    cfg.upload_bytes = static_cast<std::size_t>(l.integer("upload_bytes", static_cast<long long>(cfg.upload_bytes), 1, 64 << 20));
    cfg.items = static_cast<unsigned>(l.integer("items", cfg.items, 1, 1000000));
    cfg.burst_extra = static_cast<unsigned>(l.integer("burst_extra", cfg.burst_extra, 0, 100000));
    cfg.checkout_items = static_cast<unsigned>(l.integer("checkout_items", cfg.checkout_items, 1, 100));
    cfg.orders_strategy = l.choice("orders_strategy", cfg.orders_strategy, {"n_plus_one", "join", "batched"});
    cfg.orders_limit = static_cast<unsigned>(l.integer("orders_limit", cfg.orders_limit, 1, 200));
    cfg.stale_grace = l.duration("stale_grace", cfg.stale_grace);
    cfg.response_timeout = l.duration("timeout", cfg.response_timeout);
    cfg.seed = static_cast<std::uint64_t>(l.integer("seed", 0, 0, std::numeric_limits<long long>::max()));
    l.done();
  }

  if (top.has("steady-state-hypothesis")) {
    Fields h(top.get("steady-state-hypothesis"), "steady-state-hypothesis", name);
    x.hypothesis_title = h.str("title", "The steady state holds");
    if (h.has("probes")) {
      const auto probes = h.get("probes");
      if (!probes.IsSequence()) h.fail(probes, "expected a list", "probes");
      for (std::size_t i = 0; i < probes.size(); ++i)
        x.probes.push_back(parse_probe(probes[i], indexed("steady-state-hypothesis.probes", i), name));
    }
    h.done();
  }

  for (const auto& [key, timed] : {std::pair<const char*, bool>{"method", true}, {"rollbacks", false}}) {
    if (!top.has(key)) continue;
    const auto list = top.get(key);
    if (!list.IsSequence()) top.fail(list, "expected a list of actions", key);
    for (std::size_t i = 0; i < list.size(); ++i)
      (timed ? x.method : x.rollbacks).push_back(parse_action(list[i], indexed(key, i), name, timed));
  }
  for (std::size_t i = 1; i < x.method.size(); ++i)
    if (*x.method[i].at < *x.method[i - 1].at)
      throw ExperimentError(name + ":" + std::to_string(x.method[i].line) + ": " + indexed("method", i) +
                            ".at: actions run in file order, so their times must not go back");
  for (const auto& a : x.method)
    if (*a.at > x.load.duration)
      throw ExperimentError(name + ":" + std::to_string(a.line) + ": method: '" + a.name +
                            "' is due after the load has ended (load.duration)");
  top.done();
  return x;
}

Experiment load_experiment(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ExperimentError(path + ": cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_experiment(text.str(), path);
}

}  // namespace scalelab::experiment
