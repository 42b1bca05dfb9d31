// Small string helpers that parsers across the project share, so each file does not
// grow its own copy.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace scalelab::text {

// `v` for people to read: at most 6 significant digits, no trailing zeros ("%g").
inline std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Any contiguous run of chars (std::string, Boost's string_view, a literal) as a view,
// so the helpers below take Beast's strings without a conversion at each call.
template <class T>
concept CharSpan = requires(const T& t) {
  { t.data() } -> std::convertible_to<const char*>;
  { t.size() } -> std::convertible_to<std::size_t>;
};
inline std::string_view as_view(std::string_view s) { return s; }
template <CharSpan T>
std::string_view as_view(const T& t) {
  return {t.data(), t.size()};
}

// True when `a` and `b` are equal ignoring ASCII case, as HTTP compares header names,
// tokens and schemes. Boost 1.74's beast::iequals is not used: when two strings differ
// only in case, it reads one byte past the end of both (the fuzzer found it).
template <class A, class B>
bool iequals(const A& a_in, const B& b_in) {
  const std::string_view a = as_view(a_in), b = as_view(b_in);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// True when `s` begins with `prefix`, ignoring ASCII case.
template <class S>
bool istarts_with(const S& s_in, std::string_view prefix) {
  const std::string_view s = as_view(s_in);
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// True when the comma-separated HTTP list `list` (RFC 9110 §5.6.1) holds `token`,
// ignoring ASCII case and the spaces around elements: "no-store, No-Cache" holds "no-cache".
inline bool has_list_token(std::string_view list, std::string_view token) {
  while (true) {
    const std::size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace scalelab::text
