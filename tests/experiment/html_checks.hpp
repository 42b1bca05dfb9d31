// Structural checks on rendered reports, without a browser: tags balanced, the SVG
// charts cut out one by one, and no reference to anything outside the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scalelab::testkit {

// "" when every element is closed in order (void elements like <meta> need no
// closing, <style> content is skipped, "/>" closes), else what went wrong first.
// Also fails on a '<' in text that does not start a tag: unescaped input.
std::string tag_balance_error(std::string_view html);

// Each <svg ...>...</svg> element of `html`, in order.
std::vector<std::string> svg_elements(std::string_view html);

// How many times `needle` occurs in `haystack`.
std::size_t count(std::string_view haystack, std::string_view needle);

// A description of the first external reference (a URL scheme, @import, url(),
// src= or an href= that is not a #fragment), or "" when there is none.
std::string external_reference(std::string_view html);

}  // namespace scalelab::testkit
