#include "tests/support/raw_server.hpp"

#include "tests/support/sockets.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace scalelab::testkit {

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
