// Why a process stopped, in its own words: the line of its log that says so. The
// supervisor keeps it for each component that exits (`last_error` in the status), and
// `scalelab up` quotes it when a component or the supervisor itself dies during
// start-up, so the user reads the cause instead of a timeout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace scalelab::lab {

// The size of `path` now, 0 when it does not exist: where a new process's output starts.
std::uint64_t log_size(const std::filesystem::path& path);

// The line, among what was written to `path` from byte `from` on (at most its last
// 64 KiB), that best says why its writer stopped, without the trailing newline:
//   1. the last JSON log line (common/log.hpp) at level error or fatal, as "msg: error"
//      (its `error`, `cause` or `detail` field);
//   2. else the last plain-text line that opens with an error label ("Error: ...",
//      "TypeError: ...", "error: ...", "fatal: ...");
//   3. else the last plain-text line (a usage message, Redis's last words);
//   4. else the last JSON line, as in 1.
// Empty when nothing was written.
std::string last_error_line(const std::filesystem::path& path, std::uint64_t from = 0);

}  // namespace scalelab::lab
