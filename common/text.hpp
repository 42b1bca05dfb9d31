// Small string helpers that parsers across the project share, so each file does not
// grow its own copy.
#pragma once

#include <string_view>

namespace scalelab::text {

// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace scalelab::text
