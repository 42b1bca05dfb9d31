// Structured logging: every line scalelab writes is one JSON object, so `jq`, Loki or
// a test can read it without a parser per component. Each line carries `ts` (RFC 3339,
// UTC, milliseconds), `level`, `component`, optionally `instance`, and `msg` or the
// fields of an access record. Invalid UTF-8 in user input is replaced, never thrown.
// Lines never interleave: each leaves in a single write(2) from the thread that logs,
// or, in a server that called write_in_background(), a thread of the log's own writes
// them in order, so that no thread that logs waits for the log's reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json_line.hpp"

namespace scalelab::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Sets the fields stamped on every line and the minimum level. Call once at start-up,
// before other threads log. `fd` defaults to stderr.
void init(std::string component, std::string instance = "", Level min_level = Level::info, int fd = 2);

// The default bound of write_in_background's buffer: a few thousand access lines.
inline constexpr std::size_t kDefaultPendingBytes = 1 << 20;

// From now on, lines wait in a buffer of at most `max_pending_bytes` for a thread of
// the log's own, which writes them (common/log_writer.hpp): a reader that stops
// reading (a full pipe) then costs log lines, dropped and counted, never a request.
// For a server, once, after init(). Lines still pending when the process ends are
// written by flush(), which a normal exit (return from main, std::exit) calls for at
// most a second; call it yourself before _exit.
void write_in_background(std::size_t max_pending_bytes = kDefaultPendingBytes);
// Writes whole lines formatted elsewhere (the balancer's access log) to `fd`: through
// the background writer when `fd` is the log's and write_in_background() was called,
// else with write(2) at once.
void write_lines(int fd, std::string_view lines);
// Waits until every line logged so far has been written, at most `timeout`; false if
// the reader did not read in time. True at once without write_in_background().
bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(1));
// Lines dropped because write_in_background's buffer was full (0 without it).
std::uint64_t dropped_lines();

// Parses "debug", "info", "warn" or "error"; throws std::invalid_argument otherwise.
Level parse_level(std::string_view name);

void write(Level level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());
inline void debug(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::debug, msg, std::move(f)); }
inline void info(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::info, msg, std::move(f)); }
inline void warn(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::warn, msg, std::move(f)); }
inline void error(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::error, msg, std::move(f)); }

// Writes an access-log record: the given fields plus ts, component and instance.
void access(nlohmann::json record);

namespace detail {
std::string_view access_stamp();
int log_fd();
}  // namespace detail

// The request path's access record, the same line as access() gives: `fill(JsonLine&)`
// writes the record's fields after ts, level, component and instance. By hand, not
// through nlohmann::json: no allocation once this thread's line has grown (at most
// 64 KiB are kept between lines).
template <class Fill>
void access_line(Fill&& fill) {
  thread_local std::string line;
  line.clear();
  JsonLine json(line, detail::access_stamp());
  fill(json);
  json.end();
  write_lines(detail::log_fd(), line);
  if (line.capacity() > 64 * 1024) line = std::string();
}

// The current time as RFC 3339 UTC with milliseconds, e.g. 2026-11-26T07:45:08.123Z.
std::string now_rfc3339();
// The current time in seconds since the Unix epoch (the timestamps of journals, events
// and the console's series).
double unix_now();

}  // namespace scalelab::log
