// Which bytes of an upload a GET answers with, from its Range header. The app answers
// Range itself instead of leaving it to cpp-httplib, whose multipart/byteranges length
// underflows on an open-ended range and which slices any body, errors included
// (AppServer clears the ranges cpp-httplib parsed before routing).
//
// The rules (RFC 9110 §14): no Range, an invalid one (another unit, bad syntax), an
// If-Range (the app issues no validators, so none can match), several ranges, or an
// empty upload: the whole body with 200, as RFC 9110 allows a server to ignore Range.
// One range: 206 with its bytes and a Content-Range, or 416 with
// `Content-Range: bytes */size` when it selects no byte.
#pragma once

#include <httplib.h>

#include <cstdint>

#include "common/http_range.hpp"

namespace scalelab::app {

struct RangeAnswer {
  enum Kind { whole, partial, unsatisfiable } kind = whole;
  http_range::Slice slice;  // the bytes to send: all of them for `whole`, none for `unsatisfiable`
};

RangeAnswer choose_range(const httplib::Request& req, std::uint64_t size);

}  // namespace scalelab::app
