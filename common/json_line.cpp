// Hand-written JSON lines; see json_line.hpp.
#include "common/json_line.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace scalelab::log {
namespace {

using namespace std::string_view_literals;  // literals with their length: no strlen per piece

// The bytes a JSON string may hold as they are: printable ASCII but the quote and the
// backslash.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// What starts `s`: a well-formed UTF-8 sequence (Unicode's table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF) and its length, or the length of the
// ill-formed part to replace by one U+FFFD: the lead and the continuation bytes that
// were right for it before the one that was not (Unicode's "maximal subpart", which
// nlohmann::json's replace follows too).
struct Utf8 {
  bool valid;
  std::size_t length;
};
Utf8 utf8_sequence(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range; the others' is 80..BF
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3, low = lead == 0xe0 ? 0xa0 : 0x80, high = lead == 0xed ? 0x9f : 0xbf;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4, low = lead == 0xf0 ? 0x90 : 0x80, high = lead == 0xf4 ? 0x8f : 0xbf;
  else return {false, 1};
  for (std::size_t i = 1; i < length; ++i) {
    const bool fits = i < s.size() && static_cast<unsigned char>(s[i]) >= (i == 1 ? low : 0x80) &&
                      static_cast<unsigned char>(s[i]) <= (i == 1 ? high : 0xbf);
    if (!fits) return {false, i};
  }
  return {true, length};
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of bytes that need no escaping (nearly always the whole value) are appended
  // at once.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kPlain[c]) {
      ++i;
      continue;
    }
    std::size_t taken = 1;
    if (c >= 0x80) {
      const Utf8 sequence = utf8_sequence(s.substr(i));
      taken = sequence.length;
      if (sequence.valid) {
        i += taken;  // kept as it is, in the run
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x80) {
      out += "\\ufffd"sv;
    } else {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(u, sizeof u);
    }
    i += taken;
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_rfc3339_now(std::string& out) {
  using namespace std::chrono;
  thread_local std::time_t cached_second = -1;
  thread_local char cached[80] = {};  // "YYYY-MM-DDTHH:MM:SS." (sized for any int the format could print)
  thread_local std::size_t cached_len = 0;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto second = static_cast<std::time_t>(ms / 1000);
  if (second != cached_second) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    const int n = std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_len = static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof cached) - 1));
    cached_second = second;
  }
  const auto milli = static_cast<int>(ms % 1000);
  const char frac[4] = {static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                        static_cast<char>('0' + milli % 10), 'Z'};
  out.append(cached, cached_len);
  out.append(frac, sizeof frac);
}

JsonLine::JsonLine(std::string& out, std::string_view stamp) : out_(out) {
  out_ += "{\"ts\":\""sv;
  append_rfc3339_now(out_);
  out_ += '"';
  out_ += stamp;
}

void JsonLine::open_long(std::string_view key, bool string) {
  out_ += ",\""sv;
  out_ += key;
  out_ += string ? "\":\""sv : "\":"sv;
}

JsonLine& JsonLine::null_field(std::string_view key) {
  open(key);
  out_ += "null"sv;
  return *this;
}

JsonLine& JsonLine::millis(std::string_view key, double ms) {
  // By integer arithmetic: printf's float path is slow enough to show on the request path.
  const auto micros = static_cast<std::uint64_t>(std::max(0.0, ms) * 1000.0 + 0.5);
  field(key, micros / 1000);
  const char frac[4] = {'.', static_cast<char>('0' + micros / 100 % 10), static_cast<char>('0' + micros / 10 % 10),
                        static_cast<char>('0' + micros % 10)};
  out_.append(frac, sizeof frac);
  return *this;
}

void JsonLine::end() { out_ += "}\n"sv; }

std::string stamp_members(std::string_view level, std::string_view component, std::string_view instance) {
  std::string out;
  JsonLine members(out, JsonLine::MembersOnly{});
  members.field("level", level).field("component", component);
  if (!instance.empty()) members.field("instance", instance);
  return out;
}

}  // namespace scalelab::log
