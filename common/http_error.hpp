// A failure with its HTTP answer: the status, a short machine-readable code and one
// human sentence (what()), the three parts of the error body every scalelab surface
// answers with (json_error.hpp). The app throws it from its handlers, the supervisor
// from the commands it refuses, and the lab's client rethrows what the supervisor
// answered as one; status 0 there means nothing answered at all. It carries no
// headers: an app handler that needs one (Retry-After on a 429) sets it on the
// Exchange's response before it throws, and answer_error keeps it.
#pragma once

#include <stdexcept>
#include <string>

namespace scalelab {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string code, const std::string& detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const char* detail() const { return what(); }

 private:
  int status_;
  std::string code_;
};

}  // namespace scalelab
