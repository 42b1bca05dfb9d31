// The reverse proxies the adversarial suite runs side by side in front of one backend:
// scalelab-balancer, and Debian's HAProxy 2.6 and nginx 1.22 as the anchors. Each is a
// child process on free loopback ports, configured alike: HTTP/1.1 keep-alive to the
// backend with a small connection pool, and 3 s timeouts everywhere, so that a proxy
// that hangs shows it within a test's time rather than at the client's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::adversarial {

enum class ProxyKind { scalelab, haproxy, nginx };

const char* proxy_name(ProxyKind kind);  // "scalelab-balancer", "HAProxy", "nginx"
std::vector<ProxyKind> all_proxies();

// Why `kind` cannot run here (its binary is not installed), or nullopt.
std::optional<std::string> missing(ProxyKind kind);

// The version the proxy reports of itself ("2.6.12"), for the conformance table.
std::string proxy_version(ProxyKind kind);

class Proxy {
 public:
  // Starts `kind` in front of 127.0.0.1:backend_port and waits until it accepts.
  // With `access_log`, it writes a line per request there, each the way it writes to
  // a pipe (scalelab-balancer and HAProxy on their standard streams, nginx to the
  // path); without, it keeps no access log. Throws std::runtime_error when it does
  // not come up.
  Proxy(ProxyKind kind, std::uint16_t backend_port, const std::string& access_log = "");
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  ProxyKind kind() const { return kind_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  // What it wrote to its log so far (for a failing test's message).
  std::string log() const;

 private:
  ProxyKind kind_;
  std::uint16_t port_ = 0;
  testkit::TempDir dir_{"scalelab-adversarial"};
  process::Process process_;
};

}  // namespace scalelab::adversarial
