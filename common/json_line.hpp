// A JSON object on one line, written by hand into a string the caller keeps. The
// access logs of the app and the balancer write a line for every request; through
// nlohmann::json such a line costs dozens of allocations (a map node and strings per
// field) and about as much CPU as a small request itself. Here a line costs none once
// the caller's string has grown, and the text is the same JSON: strings escaped so
// that any input gives a valid line, invalid UTF-8 replaced by U+FFFD, as
// nlohmann::json's dump does with error_handler_t::replace.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace scalelab::log {

// Appends `s` as the inside of a JSON string: quote, backslash and control characters
// escaped, valid UTF-8 kept as it is, and each ill-formed part (a stray byte, or a
// sequence cut short) written as one \ufffd.
void append_json_escaped(std::string& out, std::string_view s);

// Appends the current time as RFC 3339 UTC with milliseconds, 2026-11-26T07:45:08.123Z.
// The date and time of day are formatted once a second per thread.
void append_rfc3339_now(std::string& out);

// Builds {"ts":"...", <stamp>, "key":value, ...}\n at the end of `out`. Keys are
// written as given: use names that need no escaping (literals). Values of text are
// escaped.
class JsonLine {
 public:
  // `stamp` is ready-made members that follow ts, each led by a comma (stamp_members()).
  JsonLine(std::string& out, std::string_view stamp);
  // Members only, each led by a comma, with no braces and no ts: a part of a line made
  // once and added to many (stamp_members()). end() is not called on one.
  struct MembersOnly {};
  JsonLine(std::string& out, MembersOnly) : out_(out) {}

  JsonLine& field(std::string_view key, std::string_view text) {
    open(key, true);
    append_json_escaped(out_, text);
    out_ += '"';
    return *this;
  }
  JsonLine& field(std::string_view key, const char* text) { return field(key, std::string_view(text)); }
  template <std::integral Integer>
    requires(!std::same_as<Integer, bool>)
  JsonLine& field(std::string_view key, Integer n) {
    open(key);
    char digits[24];
    out_.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
    return *this;
  }
  JsonLine& null_field(std::string_view key);
  // Milliseconds with three decimals (microseconds), e.g. 1.250; negative counts as 0.
  JsonLine& millis(std::string_view key, double ms);
  // Closes the object and the line. Call once, last.
  void end();

 private:
  // Appends ,"key": and, for a string, its opening quote: in one append for the keys
  // of a log line (short), as a literal holding all of it would be.
  void open(std::string_view key, bool string = false) {
    char head[64];
    if (key.size() + 5 > sizeof head) return open_long(key, string);
    head[0] = ',';
    head[1] = '"';
    key.copy(head + 2, key.size());
    std::size_t n = key.size() + 2;
    head[n++] = '"';
    head[n++] = ':';
    if (string) head[n++] = '"';
    out_.append(head, n);
  }
  void open_long(std::string_view key, bool string);
  std::string& out_;
};

// The members every line of a component carries after ts:
// ,"level":"<level>","component":"<component>"[,"instance":"<instance>"], escaped.
std::string stamp_members(std::string_view level, std::string_view component, std::string_view instance);

}  // namespace scalelab::log
