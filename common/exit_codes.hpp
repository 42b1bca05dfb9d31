// The exit codes every scalelab binary shares, and the one-line way to leave with one.
// Apart from common/config.hpp so code that only exits need not compile CLI11.
#pragma once

#include <string>

namespace scalelab::config {

inline constexpr int kExitOk = 0;       // done
inline constexpr int kExitFailure = 1;  // the operation failed
inline constexpr int kExitUsage = 2;    // the invocation was wrong

// Prints "<program>: <message>" to stderr and exits with `code`.
[[noreturn]] void die(const std::string& program, const std::string& message, int code = kExitUsage);

}  // namespace scalelab::config
