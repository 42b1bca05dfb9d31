// Escaping and number formatting for the report, owned in one place. Every string in
// a report comes from a journal that anybody could have written (experiment titles,
// action details, supervisor event text), and every number must print the same way in
// tables, tick labels and tooltips, so no renderer escapes or formats a value on its
// own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scalelab::report::html {

// `text` made safe as HTML/SVG text content and as a double- or single-quoted
// attribute value: & < > " ' are escaped; invalid UTF-8 and control characters (other
// than tab and newline) become U+FFFD, so the document stays valid in any parser.
std::string escape(std::string_view text);

// At most `max_chars` code points of valid UTF-8 `text`, with "…" replacing the tail
// when it was cut. Never splits a multi-byte sequence. Returns raw (unescaped) text.
std::string truncate(std::string_view text, std::size_t max_chars);

// The number of code points in `text` (what a label's width is estimated from).
std::size_t char_count(std::string_view text);

// A value for a table or tooltip: integers without decimals and with thousands
// separators ("12,345"; none when !`grouped`, for ports and ids), other values with up
// to `max_decimals` decimals and without trailing zeros ("0.41", "31.2"); non-finite
// values as "—".
std::string number(double value, int max_decimals = 2, bool grouped = true);

// Seconds as "5.00 s" style text for times since t0 (`decimals` after the point).
std::string seconds(double value, int decimals = 2);

// A ratio (0..1) as a percentage with one decimal, "40.0 %".
std::string percent(double ratio);

}  // namespace scalelab::report::html
