// The Range request header (RFC 9110 §14): parsing a bytes range-set and resolving one
// range against a representation's size. It is the whole grammar, written once, so a
// server can tell a valid range-set (answer it, or choose to ignore it) from an invalid
// one (which RFC 9110 §14.2 says to ignore) the same way wherever Range is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::http_range {

// One range-spec: "first-last", "first-" (to the end), or "-suffix" (the last `suffix`
// bytes). Positions past 2^64-1 read as 2^64-1: they only mean "beyond any end".
struct Spec {
  std::optional<std::uint64_t> first;  // nullopt for a suffix range
  std::optional<std::uint64_t> last;   // nullopt for "first-" and for a suffix range
  std::uint64_t suffix = 0;            // the suffix length, for a suffix range
};

// The specs of a Range field value, in order, or nullopt when the value is not a valid
// bytes range-set: another unit, bad syntax, no range at all, or a first position past
// its last. The unit is case-insensitive; optional whitespace around commas and empty
// list elements are accepted (RFC 9110 §5.6.1).
std::optional<std::vector<Spec>> parse(std::string_view value);

// A run of bytes inside a representation; `length` >= 1.
struct Slice {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// The bytes `spec` selects in a representation of `size` bytes, or nullopt when it
// selects none (it starts at or past the end, is a zero-length suffix, or size is 0):
// the range is not satisfiable.
std::optional<Slice> resolve(const Spec& spec, std::uint64_t size);

// Content-Range values: "bytes 5-9/317" for a slice, "bytes */317" for a 416.
std::string content_range(const Slice& slice, std::uint64_t size);
std::string unsatisfied_range(std::uint64_t size);

}  // namespace scalelab::http_range
