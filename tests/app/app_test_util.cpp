#include "tests/app/app_test_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace scalelab::testkit {

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

void RawConnection::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool RawConnection::readable_within(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  return fd_ >= 0 && ::poll(&pfd, 1, timeout_ms) > 0;
}

std::string RawConnection::read_answer(int timeout_ms) {
  std::string out;
  char buf[4096];
  while (fd_ >= 0) {
    // Once an answer has started, a short silence ends it (the server may keep the
    // connection open for keep-alive).
    if (!readable_within(out.empty() ? timeout_ms : 300)) break;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return out;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, bool half_close, int timeout_ms) {
  RawConnection c(port);
  c.send(bytes);
  if (half_close) c.shutdown_write();
  return c.read_answer(timeout_ms);
}

double metric_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

}  // namespace scalelab::testkit
