// One request and its response as handlers see them, with the helpers every handler
// needs: read a bounded JSON body, answer JSON, fail with a typed HTTP error. Errors
// are thrown as HttpError and turned into {"error","detail"} in one place.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "services/app/request_context.hpp"

namespace scalelab::app {

// A failure with its HTTP answer: the status, a stable code and a detail for people.
// It carries no headers; a thrower that needs one (Retry-After on a 429) sets it on
// the Exchange's response before it throws, and answer_error keeps it.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string code, std::string detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// How far past a size limit a body is still read, its bytes dropped, before the 413.
// Its client may still be sending (a chunked body has no length to refuse up front);
// closing a socket that holds unread bytes makes the kernel send a reset, and the
// client would see that instead of the 413. A longer body is cut off. (A declared
// length over cpp-httplib's payload limit is drained by cpp-httplib itself.)
inline constexpr std::uint64_t kReadPastLimit = 4 << 20;

struct Exchange {
  const httplib::Request& req;
  httplib::Response& res;
  RequestContext& ctx;
  const httplib::ContentReader* reader;  // set for routes that take a body
  std::string param;                     // the {id} of a patterned route

  // Reads the body as a JSON object of at most `limit` bytes. Throws HttpError 413
  // beyond the limit (after reading on, see kReadPastLimit), 400 for anything that is
  // not a JSON object.
  nlohmann::json json_body(std::size_t limit = 64 * 1024);

  // Answers `body` whole, whatever the request's Range.
  void send_json(int status, const nlohmann::json& body);
  void send_error(int status, std::string_view code, std::string_view detail);

  // The value of cookie `name`, if the request carries it.
  std::optional<std::string> cookie(std::string_view name) const;
  // Query parameter `name` as an integer in [min, max]; `fallback` when absent.
  // Throws HttpError 400 when present but not such a number.
  std::int64_t query_int(const std::string& name, std::int64_t min, std::int64_t max, std::int64_t fallback) const;
};

// Parses a whole decimal integer (no sign, no spaces). nullopt otherwise.
std::optional<std::int64_t> parse_int(std::string_view text);

}  // namespace scalelab::app
