#include "tests/support/raw_server.hpp"

#include "tests/support/sockets.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace scalelab::testkit {

std::string read_request_head(int fd) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    request.append(buf, static_cast<std::size_t>(n));
  }
  return request;
}

void answer_and_close(int fd, const std::string& response) {
  ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
}

RawServer::RawServer(std::function<void(int)> serve) : serve_(std::move(serve)) {
  listener_ = listen_loopback(port_, 64);
  if (listener_ < 0) throw std::runtime_error("raw server: cannot listen on 127.0.0.1");
  thread_ = std::thread([this] {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      serve_(fd);
    }
  });
}

RawServer::~RawServer() {
  ::shutdown(listener_, SHUT_RDWR);  // wakes the accept, which then fails
  ::close(listener_);
  thread_.join();
}

}  // namespace scalelab::testkit
