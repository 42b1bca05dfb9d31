// The gated server's connection loop; its contract is in gated_server.hpp.
#include "common/gated_server.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace scalelab {
namespace {

std::chrono::microseconds duration_of(time_t sec, time_t usec) {
  return std::chrono::seconds(sec) + std::chrono::microseconds(usec);
}

}  // namespace

GatedServer::GatedServer() : GatedServer(Config{}) {}

GatedServer::GatedServer(Config config) : config_(std::move(config)) {
  set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

bool GatedServer::bind(const std::string& host, int port) {
  if (!bind_to_port(host, port)) return false;
  const socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, config_.listen_backlog);
  return true;
}

bool GatedServer::process_and_close_socket(socket_t sock) {
  http_gate::StreamSettings settings;
  settings.limits = config_.limits;
  settings.read_timeout = duration_of(read_timeout_sec_, read_timeout_usec_);
  settings.write_timeout = duration_of(write_timeout_sec_, write_timeout_usec_);
  settings.on_refused = config_.on_refused;

  bool ok = false;
  http_gate::GateStream stream(sock, settings);  // closes the socket
  const auto idle = std::chrono::seconds(keep_alive_timeout_sec_);
  for (std::size_t left = keep_alive_max_count_; left > 0 && stream.await_request(idle, svr_sock_); --left) {
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!ok || closed || stream.refused() || !stream.finish_request()) break;
  }
  return ok;
}

}  // namespace scalelab
