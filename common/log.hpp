// Structured logging: every line scalelab writes is one JSON object, so `jq`, Loki or
// a test can read it without a parser per component. Each line carries `ts` (RFC 3339,
// UTC, milliseconds), `level`, `component`, optionally `instance`, and `msg` or the
// fields of an access record. Lines are emitted with a single write(2) each, so
// concurrent threads never interleave within a line. Invalid UTF-8 in user input is
// replaced, never thrown.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scalelab::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Sets the fields stamped on every line and the minimum level. Call once at start-up,
// before other threads log. `fd` defaults to stderr.
void init(std::string component, std::string instance = "", Level min_level = Level::info, int fd = 2);

// Parses "debug", "info", "warn" or "error"; throws std::invalid_argument otherwise.
Level parse_level(std::string_view name);

void write(Level level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());
inline void debug(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::debug, msg, std::move(f)); }
inline void info(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::info, msg, std::move(f)); }
inline void warn(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::warn, msg, std::move(f)); }
inline void error(std::string_view msg, nlohmann::json f = nlohmann::json::object()) { write(Level::error, msg, std::move(f)); }

// Writes an access-log record: the given fields plus ts, component and instance.
void access(nlohmann::json record);

// The current time as RFC 3339 UTC with milliseconds, e.g. 2026-11-26T07:45:08.123Z.
std::string now_rfc3339();
// The current time in seconds since the Unix epoch (the timestamps of journals, events
// and the console's series).
double unix_now();

}  // namespace scalelab::log
