#include "tests/deploy/exposition.hpp"

#include <sstream>
#include <stdexcept>

namespace scalelab::deploytest {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

// The family a series belongs to: a histogram's or summary's _bucket/_sum/_count
// series belong to the family without the suffix.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& families) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = families.find(base);
      if (it != families.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

}  // namespace

std::set<std::string> MetricNames::labels(const std::string& name) const {
  std::set<std::string> out;
  for (const auto& [series_name, labels] : series) {
    if (series_name != name && family_of(series_name, families) != name) continue;
    for (const auto& [label, values] : labels) out.insert(label);
  }
  return out;
}

void MetricNames::merge(const MetricNames& other) {
  for (const auto& [name, labels] : other.series) {
    auto& mine = series[name];
    for (const auto& [label, values] : labels) mine[label].insert(values.begin(), values.end());
  }
  families.insert(other.families.begin(), other.families.end());
}

MetricNames parse_exposition(const std::string& text) {
  MetricNames out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name, type;
      words >> hash >> kind >> name >> type;
      if (kind == "TYPE") out.families[name] = type;
      continue;
    }
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    if (i == 0) throw std::invalid_argument("exposition line without a metric name: " + line);
    const std::string name = line.substr(0, i);
    auto& labels = out.series[name];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t start = i;
        while (i < line.size() && name_char(line[i], i == start)) ++i;
        const std::string label = line.substr(start, i - start);
        if (label.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          throw std::invalid_argument("bad label in exposition line: " + line);
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            const char escaped = line[++i];
            value += escaped == 'n' ? '\n' : escaped;
          } else {
            value += line[i];
          }
          ++i;
        }
        if (i >= line.size()) throw std::invalid_argument("unterminated label value in exposition line: " + line);
        ++i;  // closing quote
        labels[label].insert(value);
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) throw std::invalid_argument("unterminated label set in exposition line: " + line);
    }
  }
  return out;
}

}  // namespace scalelab::deploytest
