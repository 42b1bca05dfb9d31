// A hand-written reader for the few lines of /metrics the console needs; see the header.
#include "lab/console/prometheus_text.hpp"

#include <cstdlib>
#include <optional>

namespace scalelab::console {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

void skip_blanks(std::string_view line, std::size_t& i) {
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
}

std::optional<std::string> read_name(std::string_view line, std::size_t& i) {
  const std::size_t start = i;
  while (i < line.size() && name_char(line[i], i == start)) ++i;
  if (i == start) return std::nullopt;
  return std::string(line.substr(start, i - start));
}

// A quoted label value with \\, \" and \n escapes; `i` is on the opening quote.
std::optional<std::string> read_quoted(std::string_view line, std::size_t& i) {
  if (i >= line.size() || line[i] != '"') return std::nullopt;
  std::string out;
  for (++i; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c == '\\' && i + 1 < line.size()) {
      const char e = line[++i];
      out += e == 'n' ? '\n' : e;
    } else {
      out += c;
    }
  }
  return std::nullopt;  // unterminated
}

std::optional<MetricSample> parse_line(std::string_view line) {
  std::size_t i = 0;
  skip_blanks(line, i);
  MetricSample s;
  auto name = read_name(line, i);
  if (!name) return std::nullopt;
  s.name = std::move(*name);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      skip_blanks(line, i);
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      auto key = read_name(line, i);
      if (!key) return std::nullopt;
      skip_blanks(line, i);
      if (i >= line.size() || line[i] != '=') return std::nullopt;
      ++i;
      skip_blanks(line, i);
      auto value = read_quoted(line, i);
      if (!value) return std::nullopt;
      s.labels.emplace_back(std::move(*key), std::move(*value));
      skip_blanks(line, i);
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  skip_blanks(line, i);
  std::size_t end = i;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  if (end == i) return std::nullopt;
  // strtod reads Inf, +Inf and NaN as the format writes them; the copy ends the number.
  const std::string number(line.substr(i, end - i));
  char* stop = nullptr;
  s.value = std::strtod(number.c_str(), &stop);
  if (stop != number.c_str() + number.size()) return std::nullopt;
  return s;
}

}  // namespace

std::string_view MetricSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

std::vector<MetricSample> parse_prometheus_text(std::string_view text) {
  std::vector<MetricSample> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (auto s = parse_line(line)) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace scalelab::console
