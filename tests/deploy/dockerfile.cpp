#include "tests/deploy/dockerfile.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace scalelab::deploytest {

std::vector<Stage> parse_dockerfile(const std::string& text) {
  std::vector<Stage> stages;
  std::istringstream lines(text);
  std::string line, pending;
  auto finish = [&](std::string joined) {
    const auto start = joined.find_first_not_of(" \t");
    if (start == std::string::npos) return;
    joined = joined.substr(start);
    const auto space = joined.find_first_of(" \t");
    Instruction in{joined.substr(0, space), space == std::string::npos ? "" : joined.substr(space + 1)};
    std::transform(in.keyword.begin(), in.keyword.end(), in.keyword.begin(), ::toupper);
    if (in.keyword == "FROM") {
      std::istringstream words(in.args);
      Stage stage;
      std::string as;
      words >> stage.image >> as >> stage.name;
      stages.push_back(stage);
      return;
    }
    if (stages.empty()) throw std::invalid_argument("Dockerfile instruction before FROM: " + joined);
    stages.back().instructions.push_back(in);
  };
  while (std::getline(lines, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;  // also inside continuations
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    finish(pending + line);
    pending.clear();
  }
  if (!pending.empty()) finish(pending);
  return stages;
}

std::set<std::string> Stage::apt_packages() const {
  std::set<std::string> packages;
  for (const auto& in : instructions) {
    if (in.keyword != "RUN") continue;
    std::istringstream words(in.args);
    std::string word;
    bool installing = false;
    while (words >> word) {
      if (word == "&&" || word == ";" || word == "|") {
        installing = false;
      } else if (word == "install") {
        installing = true;
      } else if (installing && !word.empty() && word[0] != '-') {
        packages.insert(word);
      }
    }
  }
  return packages;
}

std::vector<std::string> command_words(const std::string& args) {
  const auto start = args.find_first_not_of(" \t");
  if (start != std::string::npos && args[start] == '[') return nlohmann::json::parse(args.substr(start)).get<std::vector<std::string>>();
  std::vector<std::string> words;
  std::istringstream in(args);
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

}  // namespace scalelab::deploytest
