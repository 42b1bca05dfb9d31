// Recognises a valid `Range: bytes=...` value (RFC 9110 §14.1.2), so a server can pass
// it on in one canonical spelling and ignore anything else, as §14.2 allows (and, for
// an invalid range-set, requires). The request gate uses it: cpp-httplib would answer
// 416 to a garbage Range before any route runs, although the routes that serve JSON
// ignore Range altogether.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scalelab::http_ranges {

// The most digits a position may have: 18 keep every value within a signed 64-bit
// integer (cpp-httplib reads them with std::stoll).
inline constexpr std::size_t kMaxDigits = 18;

// `value` in canonical form, "bytes=" followed by comma-separated specs without blanks
// ("0-499", "500-", "-200"), when it is a valid byte range-set: the unit "bytes" in any
// case, then one or more int-ranges (first <= last) or suffix-ranges, separated by
// commas with optional blanks, every number 1 to kMaxDigits digits. nullopt otherwise:
// another unit, an empty element, a range with first > last, a sign, a blank inside a
// spec, or anything else.
std::optional<std::string> canonical_byte_ranges(std::string_view value);

}  // namespace scalelab::http_ranges
