// A deliberately small HTML tokenizer: enough for markup we generate ourselves, where
// attribute values never contain '<' or '>' because they are escaped.
#include "tests/experiment/html_checks.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace scalelab::testkit {

std::string tag_balance_error(std::string_view html) {
  static const std::set<std::string, std::less<>> kVoid = {"meta", "br", "hr", "img", "input", "link", "wbr"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    if (html.substr(i, 4) == "<!--") {
      const std::size_t end = html.find("-->", i);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    const std::size_t end = html.find('>', i);
    if (end == std::string_view::npos) return "unterminated tag at " + std::to_string(i);
    const std::string_view tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '!') continue;  // <!DOCTYPE html>
    const bool closing = tag[0] == '/';
    const std::string_view rest = closing ? tag.substr(1) : tag;
    if (rest.empty() || !std::isalpha(static_cast<unsigned char>(rest[0])))
      return "a '<' that starts no tag: <" + std::string(tag.substr(0, 40));
    std::size_t name_end = 0;
    while (name_end < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[name_end])) || rest[name_end] == '-'))
      ++name_end;
    std::string name(rest.substr(0, name_end));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (closing) {
      if (open.empty()) return "</" + name + "> closes nothing";
      if (open.back() != name) return "</" + name + "> closes <" + open.back() + ">";
      open.pop_back();
      continue;
    }
    if (tag.back() == '/' || kVoid.count(name) > 0) continue;
    if (name == "style") {  // raw text until </style>
      const std::size_t close = html.find("</style>", i);
      if (close == std::string_view::npos) return "unterminated <style>";
      i = close + 8;
      continue;
    }
    open.push_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

std::vector<std::string> svg_elements(std::string_view html) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = html.find("<svg", i)) != std::string_view::npos) {
    const std::size_t end = html.find("</svg>", i);
    if (end == std::string_view::npos) break;
    out.emplace_back(html.substr(i, end + 6 - i));
    i = end + 6;
  }
  return out;
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t i = haystack.find(needle); i != std::string_view::npos; i = haystack.find(needle, i + needle.size()))
    ++n;
  return n;
}

std::string external_reference(std::string_view html) {
  std::string lower(html);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* bad : {"http://", "https://", "//cdn", "@import", "url(", "src=", "<link", "<script", "<iframe"}) {
    if (lower.find(bad) != std::string::npos) return std::string("found ") + bad;
  }
  for (std::size_t i = lower.find("href="); i != std::string::npos; i = lower.find("href=", i + 5)) {
    if (lower.compare(i, 7, "href=\"#") != 0) return "an href that is not a #fragment";
  }
  return "";
}

}  // namespace scalelab::testkit
