// How a browser may treat an upload it is served. An upload comes back with the type
// its uploader gave; served as is, an HTML or SVG upload would run as a page of the
// app's origin (stored XSS). So every upload is served with
// `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox` (a document
// gets no script and an origin of its own), and with `Content-Disposition: attachment`
// (the browser saves it instead of showing it) unless its media type is on a short
// list of types no browser runs: image/png, image/jpeg, image/gif, image/webp and
// text/plain, with whatever parameters (a charset) the uploader gave. Anything else,
// text/html, image/svg+xml and application/xhtml+xml included, is an attachment.
#pragma once

#include <httplib.h>

#include <string_view>

namespace scalelab::app {

// True when `content_type`'s media type (before any ';', any case) is on the inline list.
bool is_inert_media_type(std::string_view content_type);

// Sets the headers above on the response that serves an upload of `content_type`.
void set_upload_safety_headers(httplib::Response& res, std::string_view content_type);

}  // namespace scalelab::app
