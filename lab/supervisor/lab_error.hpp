// A command the supervisor refuses or cannot carry out, with the HTTP status and error
// code its control API answers, so the CLI can print one clear line and pick an exit
// code (4xx: the request was wrong, 2; otherwise 1).
#pragma once

#include <stdexcept>
#include <string>

namespace scalelab::lab {

class LabError : public std::runtime_error {
 public:
  LabError(int status, std::string code, const std::string& detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

}  // namespace scalelab::lab
