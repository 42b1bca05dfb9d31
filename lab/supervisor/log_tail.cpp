#include "lab/supervisor/log_tail.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::lab {
namespace {

constexpr std::uint64_t kTailBytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "Error: ...", "TypeError: ...", "error: ...", "FATAL: ...": a first word that names an
// error, right before a colon.
bool opens_with_error_label(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view word = line.substr(0, colon);
  if (std::any_of(word.begin(), word.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return false;
  const std::string w = lower(word);
  return w == "fatal" || w == "panic" || (w.size() >= 5 && w.compare(w.size() - 5, 5, "error") == 0);
}

// "msg: cause" from a JSON log line.
std::string describe(const nlohmann::json& j) {
  std::string text = j.contains("msg") && j["msg"].is_string() ? j["msg"].get<std::string>() : j.dump();
  for (const char* key : {"error", "cause", "detail"})
    if (j.contains(key) && j[key].is_string()) return text + ": " + j[key].get<std::string>();
  return text;
}

std::vector<std::string> tail_lines(const std::filesystem::path& path, std::uint64_t from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  if (from >= size) return {};
  const std::uint64_t start = std::max(from, size > kTailBytes ? size - kTailBytes : 0);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.seekg(static_cast<std::streamoff>(start));
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  std::vector<std::string> lines;
  std::size_t begin = 0;
  if (start > from) begin = text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1;  // a cut line
  while (begin < text.size()) {
    const auto end = std::min(text.find('\n', begin), text.size());
    lines.emplace_back(text, begin, end - begin);
    begin = end + 1;
  }
  return lines;
}

}  // namespace

std::uint64_t log_size(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

std::string last_error_line(const std::filesystem::path& path, std::uint64_t from) {
  std::optional<std::string> labelled, plain, any_json;
  const auto lines = tail_lines(path, from);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string_view line = trim(*it);
    if (line.empty()) continue;
    if (line.front() == '{') {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object()) {
        const std::string level = j.value("level", std::string());
        if (level == "error" || level == "fatal") return describe(j);
        if (!any_json) any_json = describe(j);
        continue;
      }
    }
    if (!labelled && opens_with_error_label(line)) labelled = std::string(line);
    if (!plain) plain = std::string(line);
  }
  if (labelled) return *labelled;
  if (plain) return *plain;
  return any_json.value_or(std::string());
}

}  // namespace scalelab::lab
