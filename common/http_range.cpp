// The Range grammar of RFC 9110 §14.1.1; stated in http_range.hpp.
#include "common/http_range.hpp"

#include <cctype>
#include <limits>

#include "common/text.hpp"

namespace scalelab::http_range {
namespace {

// 1*DIGIT, saturating at 2^64-1. nullopt unless `s` is all digits and not empty.
std::optional<std::uint64_t> range_digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    value = value > (kMax - d) / 10 ? kMax : value * 10 + d;
  }
  return value;
}

std::optional<Spec> parse_range_spec(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view before = text.substr(0, dash), after = text.substr(dash + 1);
  Spec spec;
  if (before.empty()) {  // suffix-range = "-" suffix-length
    const auto suffix = range_digits(after);
    if (!suffix) return std::nullopt;
    spec.suffix = *suffix;
    return spec;
  }
  spec.first = range_digits(before);
  if (!spec.first) return std::nullopt;
  if (after.empty()) return spec;  // "first-"
  spec.last = range_digits(after);
  if (!spec.last || *spec.last < *spec.first) return std::nullopt;
  return spec;
}

}  // namespace

std::optional<std::vector<Spec>> parse(std::string_view value) {
  value = text::trim(value);
  constexpr std::string_view kUnit = "bytes=";
  if (value.size() < kUnit.size()) return std::nullopt;
  for (std::size_t i = 0; i < kUnit.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kUnit[i]) return std::nullopt;
  std::string_view rest = value.substr(kUnit.size());
  std::vector<Spec> specs;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view element = text::trim(rest.substr(0, comma));
    if (!element.empty()) {
      auto spec = parse_range_spec(element);
      if (!spec) return std::nullopt;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (specs.empty()) return std::nullopt;
  return specs;
}

std::optional<Slice> resolve(const Spec& spec, std::uint64_t size) {
  if (size == 0) return std::nullopt;
  if (!spec.first) {
    if (spec.suffix == 0) return std::nullopt;
    const std::uint64_t length = spec.suffix < size ? spec.suffix : size;
    return Slice{size - length, length};
  }
  if (*spec.first >= size) return std::nullopt;
  const std::uint64_t last = spec.last && *spec.last < size ? *spec.last : size - 1;
  return Slice{*spec.first, last - *spec.first + 1};
}

std::string content_range(const Slice& slice, std::uint64_t size) {
  return "bytes " + std::to_string(slice.offset) + "-" + std::to_string(slice.offset + slice.length - 1) + "/" +
         std::to_string(size);
}

std::string unsatisfied_range(std::uint64_t size) { return "bytes */" + std::to_string(size); }

}  // namespace scalelab::http_range
