#include "common/backing_services.hpp"

#include <cstdlib>
#include <stdexcept>

#include "common/net.hpp"

#ifndef SCALELAB_SOURCE_DIR
#define SCALELAB_SOURCE_DIR "."
#endif

namespace scalelab::services {

process::SpawnOptions redis_server(std::uint16_t port, const std::string& dir, const std::string& log_path,
                                   const std::string& unix_socket) {
  process::SpawnOptions o;
  o.argv = {"redis-server",   "--bind",       "127.0.0.1", "--port",       std::to_string(port),
            "--dir",          dir,            "--appendonly", "yes",       "--appendfsync",
            "everysec",       "--save",       "",          "--daemonize", "no",
            "--protected-mode", "no",         "--loglevel", "warning"};
  if (!unix_socket.empty()) o.argv.insert(o.argv.end(), {"--unixsocket", unix_socket, "--unixsocketperm", "700"});
  o.log_path = log_path;
  return o;
}

std::string s3rver_executable() {
  if (const char* env = std::getenv("SCALELAB_S3RVER"); env != nullptr && *env != '\0') {
    if (auto found = process::find_executable(env)) return *found;
    throw std::runtime_error(std::string("SCALELAB_S3RVER=") + env + " is not executable");
  }
  const std::string bundled = std::string(SCALELAB_SOURCE_DIR) + "/node_modules/.bin/s3rver";
  if (auto found = process::find_executable(bundled)) return *found;
  if (auto found = process::find_executable("s3rver")) return *found;
  throw std::runtime_error("s3rver not found: run scripts/setup.sh (npm ci) or set SCALELAB_S3RVER");
}

process::SpawnOptions s3rver(std::uint16_t port, const std::string& dir, const std::string& bucket,
                             const std::string& log_path) {
  process::SpawnOptions o;
  o.argv = {s3rver_executable(), "--silent", "-d", dir, "-a", "127.0.0.1", "-p", std::to_string(port),
            "--configure-bucket", bucket};
  o.log_path = log_path;
  return o;
}

bool wait_ready(std::uint16_t port, std::chrono::milliseconds timeout) {
  return net::wait_for_port("127.0.0.1", port, timeout);
}

}  // namespace scalelab::services
