// Escaping and number formatting for html_text.hpp. The UTF-8 decoder is strict
// (no overlongs, no surrogates) because a lenient one is how escaping gets bypassed.
#include "lab/report/html_text.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace scalelab::report::html {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Built forwards into a new string: g++ 12 flags std::string::insert here with a false
// -Wrestrict.
std::string with_thousands_separators(const std::string& digits) {
  const std::size_t start = (!digits.empty() && digits[0] == '-') ? 1 : 0;
  std::string out = digits.substr(0, start);
  const std::size_t count = digits.size() - start;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0 && (count - i) % 3 == 0) out += ',';
    out += digits[start + i];
  }
  return out;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text, i, length);
      i += length;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out += c; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
          out += kReplacement;
        else
          out += c;
    }
  }
  return out;
}

std::size_t char_count(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const std::size_t length = utf8_sequence_length(text, i);
    i += length == 0 ? 1 : length;
  }
  return count;
}

std::string truncate(std::string_view text, std::size_t max_chars) {
  if (char_count(text) <= max_chars) return std::string(text);
  if (max_chars == 0) return "";
  std::size_t i = 0;
  for (std::size_t kept = 0; kept + 1 < max_chars && i < text.size(); ++kept) {
    const std::size_t length = utf8_sequence_length(text, i);
    i += length == 0 ? 1 : length;
  }
  return std::string(text.substr(0, i)) + "\xE2\x80\xA6";  // U+2026
}

std::string number(double value, int max_decimals, bool grouped) {
  if (!std::isfinite(value)) return "\xE2\x80\x94";  // an em dash
  // Beyond 1e15 every double is an integer and digits stop meaning anything.
  if (std::fabs(value) >= 1e15) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
  }
  if (value == std::round(value)) return grouped ? with_thousands_separators(fixed(value, 0)) : fixed(value, 0);
  std::string text = fixed(value, max_decimals);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  const std::size_t point = text.find('.');
  const std::string whole = text.substr(0, point);
  return (grouped ? with_thousands_separators(whole) : whole) + (point == std::string::npos ? "" : text.substr(point));
}

std::string seconds(double value, int decimals) {
  if (!std::isfinite(value)) return "\xE2\x80\x94";
  return fixed(value, decimals) + " s";
}

std::string percent(double ratio) {
  if (!std::isfinite(ratio)) return "\xE2\x80\x94";
  return fixed(ratio * 100.0, 1) + " %";
}

}  // namespace scalelab::report::html
