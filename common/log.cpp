#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "common/log_writer.hpp"

namespace scalelab::log {
namespace {

struct Settings {
  std::string component = "scalelab";
  std::string instance;
  Level min_level = Level::info;
  int fd = 2;
  std::string access_stamp = stamp_members("info", "scalelab", "");  // access_line's members after ts
};
Settings g_settings;
// Set once by write_in_background and never destroyed: threads may log while the
// process ends.
std::atomic<BackgroundLineWriter*> g_background{nullptr};

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

void emit(nlohmann::json& record) {
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  write_lines(g_settings.fd, line);
}

void stamp(nlohmann::json& record) {
  record["ts"] = now_rfc3339();
  record["component"] = g_settings.component;
  if (!g_settings.instance.empty()) record["instance"] = g_settings.instance;
}

}  // namespace

void init(std::string component, std::string instance, Level min_level, int fd) {
  std::string stamp = stamp_members("info", component, instance);
  g_settings = Settings{std::move(component), std::move(instance), min_level, fd, std::move(stamp)};
}

void write_in_background(std::size_t max_pending_bytes) {
  if (g_background.load() != nullptr) return;
  auto* writer = new BackgroundLineWriter(g_settings.fd, max_pending_bytes, [](std::uint64_t dropped) {
    nlohmann::json record = nlohmann::json::object();
    stamp(record);
    record["level"] = level_name(Level::warn);
    record["msg"] = "log lines dropped: the log's reader did not keep up";
    record["dropped"] = dropped;
    return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  });
  g_background.store(writer, std::memory_order_release);
  std::atexit([] { flush(); });
}

void write_lines(int fd, std::string_view lines) {
  BackgroundLineWriter* background = g_background.load(std::memory_order_acquire);
  if (background != nullptr && fd == g_settings.fd) {
    background->append(lines);
    return;
  }
  while (!lines.empty()) {
    const ssize_t n = ::write(fd, lines.data(), lines.size());
    if (n <= 0) return;  // logging must never take the process down
    lines.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool flush(std::chrono::milliseconds timeout) {
  BackgroundLineWriter* background = g_background.load(std::memory_order_acquire);
  return background == nullptr || background->flush(timeout);
}

std::uint64_t dropped_lines() {
  BackgroundLineWriter* background = g_background.load(std::memory_order_acquire);
  return background == nullptr ? 0 : background->dropped();
}

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  throw std::invalid_argument("unknown log level '" + std::string(name) + "' (debug, info, warn, error)");
}

void write(Level level, std::string_view msg, nlohmann::json fields) {
  if (level < g_settings.min_level) return;
  nlohmann::json record = nlohmann::json::object();
  stamp(record);
  record["level"] = level_name(level);
  record["msg"] = msg;
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) record[key] = std::move(value);
  }
  emit(record);
}

void access(nlohmann::json record) {
  if (!record.is_object()) return;
  stamp(record);
  record["level"] = "info";
  emit(record);
}

std::string now_rfc3339() {
  std::string out;
  append_rfc3339_now(out);
  return out;
}

namespace detail {
std::string_view access_stamp() { return g_settings.access_stamp; }
int log_fd() { return g_settings.fd; }
}  // namespace detail

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace scalelab::log
