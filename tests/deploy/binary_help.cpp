#include "tests/deploy/binary_help.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/deploy/deploy_files.hpp"

namespace scalelab::deploytest {

namespace {

ValueRule parse_rule(const std::string& line) {
  ValueRule rule;
  std::smatch m;
  if (std::regex_search(line, m, std::regex(R"(--[a-z0-9-]+ ([A-Z]+))"))) rule.type = m[1];
  if (std::regex_search(line, m, std::regex(R"(:\{([A-Za-z0-9_,.-]+)\})")) ||
      std::regex_search(line, m, std::regex(R"(TEXT:([a-z_]+(?:\|[a-z_]+)+)(?:=|\s|$))"))) {
    std::string list = m[1];
    for (char& c : list)
      if (c == '|') c = ',';
    std::istringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) rule.choices.insert(item);
  }
  if (std::regex_search(line, m, std::regex(R"( in \[(-?[0-9.]+) - (-?[0-9.]+)\])"))) {
    rule.min = std::stod(m[1]);
    rule.max = std::stod(m[2]);
  }
  if (std::regex_search(line, m, std::regex(R"(TEXT:(HOST:PORT|LOOPBACK|DURATION)(?:=|\s|$))"))) rule.validator = m[1];
  return rule;
}

}  // namespace

std::string ValueRule::check(const std::string& value) const {
  if (!choices.empty() && !choices.count(value)) return "is not one of the choices --help lists";
  if (type == "INT" || type == "UINT" || type == "FLOAT") {
    const std::regex number(type == "FLOAT" ? R"(-?[0-9]+(\.[0-9]+)?)" : (type == "UINT" ? R"([0-9]+)" : R"(-?[0-9]+)"));
    if (!std::regex_match(value, number)) return "is not a " + type;
    const double v = std::stod(value);
    if ((min && v < *min) || (max && v > *max)) return "is outside the range --help gives";
  }
  if (type == "BOOLEAN" && !std::regex_match(value, std::regex("true|false|1|0|yes|no|on|off")))
    return "is not a boolean";
  if (validator == "HOST:PORT" && !std::regex_match(value, std::regex(R"([^:\s]+:[0-9]{1,5})")))
    return "is not HOST:PORT";
  if (validator == "LOOPBACK" && !std::regex_match(value, std::regex(R"((127\.[0-9.]+|localhost):[0-9]{1,5})")))
    return "is not a loopback HOST:PORT";
  if (validator == "DURATION" && !std::regex_match(value, std::regex(R"([0-9]+(\.[0-9]+)?(ms|s|m)?)")))
    return "is not a duration like 10s, 500ms or 2m";
  return "";
}

Accepted parse_help(const std::string& help) {
  Accepted out;
  out.help = help;
  static const std::regex flag(R"((?:^|[\s,])(--[a-z0-9][a-z0-9-]*))");
  static const std::regex env(R"(\(Env:([A-Z0-9_]+)\))");
  std::istringstream lines(help);
  std::string line;
  while (std::getline(lines, line)) {
    // Option lines start with the flag; description lines are indented further and
    // may mention other flags in prose, so only the first column counts.
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || first > 4 || line[first] != '-') continue;
    const std::string head = line.substr(first, line.find(' ', first) - first);
    const ValueRule rule = parse_rule(line);
    for (auto it = std::sregex_iterator(head.begin(), head.end(), flag); it != std::sregex_iterator(); ++it) {
      out.flags.insert((*it)[1]);
      out.flag_rules[(*it)[1]] = rule;
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), env); it != std::sregex_iterator(); ++it) {
      out.env.insert((*it)[1]);
      out.env_rules[(*it)[1]] = rule;
    }
  }
  return out;
}

const Accepted& HelpCache::get(const std::vector<std::string>& command) {
  auto it = cache_.find(command);
  if (it != cache_.end()) return it->second;
  std::vector<std::string> argv{binary(command.at(0)).string()};
  argv.insert(argv.end(), command.begin() + 1, command.end());
  argv.push_back("--help");
  const auto result = run(argv, {}, {}, std::chrono::seconds(20));
  if (!result.ran || result.exit_code != 0) {
    std::string joined;
    for (const auto& a : argv) joined += a + " ";
    throw std::runtime_error(joined + "failed (exit " + std::to_string(result.exit_code) + "): " + result.output);
  }
  return cache_.emplace(command, parse_help(result.output)).first->second;
}

const std::set<std::string>& image_binaries() {
  static const std::set<std::string> names{"scalelab-app", "scalelab-balancer", "scalelab-faultproxy", "scalelab"};
  return names;
}

std::vector<std::string> check_invocation(HelpCache& help, const std::string& where, const std::vector<std::string>& argv,
                                          const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> problems;
  if (argv.empty()) {
    problems.push_back(where + ": no command (the image's default would run; say which binary)");
    return problems;
  }
  if (!image_binaries().count(argv[0])) {
    problems.push_back(where + ": '" + argv[0] + "' is not a binary of the scalelab image");
    return problems;
  }
  std::vector<std::string> command{argv[0]};
  std::size_t first_arg = 1;
  // The CLI's subcommands have flags of their own: `scalelab load --target ...`.
  if (argv[0] == "scalelab" && argv.size() > 1 && argv[1].rfind("-", 0) != 0) {
    command.push_back(argv[1]);
    first_arg = 2;
  }
  const Accepted& accepted = help.get(command);
  for (std::size_t i = first_arg; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;  // a value
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (!accepted.flags.count(name)) {
      problems.push_back(where + ": " + argv[0] + " has no flag " + name);
      continue;
    }
    // The value: after '=', or the next word (flags that take none are not used here).
    std::optional<std::string> value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argv.size() && argv[i + 1].rfind("--", 0) != 0) {
      value = argv[++i];
    }
    if (!value) continue;
    const std::string why = accepted.flag_rules.at(name).check(*value);
    if (!why.empty()) problems.push_back(where + ": " + name + " '" + *value + "' " + why);
  }
  // Variables libpq reads by itself, so they are in no --help: the app's database
  // password reaches it as PGPASSWORD and stays out of SCALELAB_DATABASE_URL. Only an
  // app that has a database URL reads them.
  static const std::set<std::string> kLibpqEnv{"PGPASSWORD"};
  const bool uses_database = argv[0] == "scalelab-app" && env.count("SCALELAB_DATABASE_URL");
  for (const auto& [name, value] : env) {
    if (uses_database && kLibpqEnv.count(name)) continue;
    if (!accepted.env.count(name)) {
      problems.push_back(where + ": " + argv[0] + " reads no environment variable " + name + " (see its --help)");
      continue;
    }
    // An empty value is how compose and the lab say "not set" (CLI11 ignores it).
    if (!value || value->empty()) continue;
    const std::string why = accepted.env_rules.at(name).check(*value);
    if (!why.empty()) problems.push_back(where + ": " + name + "='" + *value + "' " + why);
  }
  return problems;
}

}  // namespace scalelab::deploytest
