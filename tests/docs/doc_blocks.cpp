#include "tests/docs/doc_blocks.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "lab/supervisor/lab_config.hpp"

namespace scalelab::doctest {

namespace {

constexpr int kDocsBasePort = 8080;  // `scalelab up`'s default, which the docs show

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Runs of blanks as one space, none at the end.
std::string squeeze(const std::string& line) {
  std::string out;
  bool blank = false;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') {
      blank = true;
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

bool line_matches(const std::string& expected, const std::string& actual) {
  const std::string e = squeeze(expected), a = squeeze(actual);
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t at; (at = e.find("...", from)) != std::string::npos; from = at + 3) parts.push_back(e.substr(from, at - from));
  parts.push_back(e.substr(from));
  if (parts.size() == 1) return e == a;
  if (!starts_with(a, parts.front())) return false;
  std::size_t pos = parts.front().size();
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
    const std::size_t at = a.find(parts[i], pos);
    if (at == std::string::npos) return false;
    pos = at + parts[i].size();
  }
  const std::string& last = parts.back();
  return a.size() >= pos + last.size() && a.compare(a.size() - last.size(), last.size(), last) == 0;
}

bool lines_match(const std::vector<std::string>& e, std::size_t ei, const std::vector<std::string>& a, std::size_t ai) {
  if (ei == e.size()) return ai == a.size();
  if (squeeze(e[ei]) == "...") {
    for (std::size_t skip = ai; skip <= a.size(); ++skip)
      if (lines_match(e, ei + 1, a, skip)) return true;
    return false;
  }
  return ai < a.size() && line_matches(e[ei], a[ai]) && lines_match(e, ei + 1, a, ai + 1);
}

}  // namespace

std::vector<Block> runnable_blocks(const std::filesystem::path& markdown) {
  std::ifstream in(markdown);
  if (!in) throw std::runtime_error("cannot read " + markdown.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::vector<Block> blocks;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!starts_with(lines[i], "<!-- doctest")) continue;
    std::size_t fence = i + 1;
    while (fence < lines.size() && lines[fence].empty()) ++fence;
    if (fence == lines.size() || !starts_with(lines[fence], "```"))
      throw std::runtime_error(markdown.string() + ":" + std::to_string(i + 1) + ": a doctest marker without a fenced block");
    Block block{markdown.string(), static_cast<int>(fence + 1), {}};
    std::size_t j = fence + 1;
    for (; j < lines.size() && !starts_with(lines[j], "```"); ++j) {
      if (starts_with(lines[j], "$ ")) {
        block.steps.push_back({lines[j].substr(2), {}, static_cast<int>(j + 1)});
      } else if (!block.steps.empty()) {
        block.steps.back().expected.push_back(lines[j]);
      } else {
        throw std::runtime_error(markdown.string() + ":" + std::to_string(j + 1) + ": output before the first `$ ` command");
      }
    }
    if (j == lines.size()) throw std::runtime_error(markdown.string() + ": the block at line " + std::to_string(fence + 1) + " never ends");
    blocks.push_back(std::move(block));
    i = j;
  }
  return blocks;
}

std::string ports_for(const std::string& text, std::uint16_t base) {
  static const std::regex port(R"((:|port )([0-9]{4,5}))");
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), port), end; it != end; ++it) {
    const auto& m = *it;
    const int value = std::stoi(m[2].str());
    out.append(last, m[0].first);
    out += m[1].str();
    const bool ours = value >= kDocsBasePort && value <= kDocsBasePort + lab::Ports::kSpan;
    out += ours ? std::to_string(base + (value - kDocsBasePort)) : m[2].str();
    last = m[0].second;
  }
  out.append(last, text.cend());
  return out;
}

bool output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  return lines_match(expected, 0, actual, 0);
}

}  // namespace scalelab::doctest
