// The page around a report. A report must open offline, from a file, years later, and
// print well, so the page shell carries all of its styling inline (no fonts, no CDN, no
// script) and both the experiment and the demo report are wrapped by this one shell.
#pragma once

#include <string>

namespace scalelab::report {

// A complete HTML5 document: <!DOCTYPE html>, UTF-8, the inline stylesheet, `title`
// (raw text, escaped here) in <title>, and `body_html` (already escaped) in <main>.
std::string html_page(const std::string& title, const std::string& body_html);

}  // namespace scalelab::report
