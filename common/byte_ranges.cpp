// The byte range-set check; stated in byte_ranges.hpp.
#include "common/byte_ranges.hpp"

#include <cstdint>

namespace scalelab::http_ranges {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// A position: 1 to kMaxDigits decimal digits, nothing else.
std::optional<std::uint64_t> position(std::string_view s) {
  if (s.empty() || s.size() > kMaxDigits) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// One range-spec, appended to `out` as written when valid.
bool append_spec(std::string_view spec, std::string& out) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view first = spec.substr(0, dash), last = spec.substr(dash + 1);
  if (first.empty()) {  // suffix-range: the last N bytes
    if (!position(last)) return false;
  } else {
    const auto a = position(first);
    if (!a) return false;
    if (!last.empty()) {
      const auto b = position(last);
      if (!b || *a > *b) return false;
    }
  }
  out += spec;
  return true;
}

}  // namespace

std::optional<std::string> canonical_byte_ranges(std::string_view value) {
  value = trim_blanks(value);
  const std::size_t eq = value.find('=');
  if (eq != 5) return std::nullopt;
  for (std::size_t i = 0; i < 5; ++i)
    if ((value[i] | 0x20) != "bytes"[i]) return std::nullopt;
  std::string out = "bytes=";
  std::string_view set = value.substr(eq + 1);
  for (bool first = true;; first = false) {
    const std::size_t comma = set.find(',');
    const std::string_view element = comma == std::string_view::npos ? set : set.substr(0, comma);
    // Blanks may surround the commas, never the "=" or the inside of a spec.
    if (first && !element.empty() && is_blank(element.front())) return std::nullopt;
    const std::string_view spec = trim_blanks(element);
    if (spec.empty()) return std::nullopt;
    if (!first) out += ',';
    if (!append_spec(spec, out)) return std::nullopt;
    if (comma == std::string_view::npos) return out;
    set.remove_prefix(comma + 1);
  }
}

}  // namespace scalelab::http_ranges
