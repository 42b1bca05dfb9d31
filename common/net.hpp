// Small loopback networking helpers shared by tests, the lab and the binaries:
// free ports for servers started side by side, readiness polling, and host:port
// parsing with clear errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::net {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
  bool operator==(const HostPort&) const = default;
};

// Parses "host:port" (port 1..65535). Returns nullopt for anything else.
std::optional<HostPort> parse_host_port(std::string_view text);

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it), and not one
// of the last 256 this process was given, so ports asked for together differ. Another
// process may still take it before the caller binds; callers retry on EADDRINUSE.
std::uint16_t free_port();

// True if a TCP connection to host:port succeeds within `timeout`.
bool can_connect(const std::string& host, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(200));

// Polls can_connect until it succeeds or `timeout` passes.
bool wait_for_port(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

// True when `host` is an IPv4 address in 127.0.0.0/8, "localhost", or "::1".
bool is_loopback(std::string_view host);

}  // namespace scalelab::net
