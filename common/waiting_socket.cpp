// How WaitingSocket connects, reads and writes: non-blocking system calls, and a wait
// through waits::wait_fd only when one finds the socket not ready.
#include "common/waiting_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>

#include "common/waits.hpp"

namespace scalelab::net {
namespace {

struct AddrinfoFree {
  void operator()(addrinfo* a) const { ::freeaddrinfo(a); }
};
using Addresses = std::unique_ptr<addrinfo, AddrinfoFree>;

Addresses resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = waits::run_blocking([&] { return ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); });
  if (rc != 0) throw std::runtime_error("resolve " + host + ": " + ::gai_strerror(rc));
  return Addresses(found);
}

// One address: a non-blocking connect, then a wait for it to finish. The descriptor, or
// -1 with `why` set.
int connect_one(const addrinfo& a, std::chrono::milliseconds timeout, std::string& why) {
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  int error = 0;
  if (::connect(fd, a.ai_addr, a.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = errno;
    } else {
      const int ready = waits::wait_fd(fd, POLLOUT, timeout);
      socklen_t len = sizeof error;
      if (ready == 0)
        error = ETIMEDOUT;
      else if (ready < 0)
        error = waits::last_errno();
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
        error = waits::last_errno();
    }
  }
  if (error != 0) {
    why = error == ETIMEDOUT ? "connect timed out after " + std::to_string(timeout.count()) + " ms" : std::strerror(error);
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool not_ready(ssize_t n) {
  if (n >= 0) return false;
  const int error = waits::last_errno();
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

}  // namespace

WaitingSocket WaitingSocket::connect(const std::string& host, std::uint16_t port,
                                     std::chrono::milliseconds connect_timeout, std::chrono::milliseconds io_timeout) {
  const Addresses addresses = resolve(host, port);
  std::string why = "no address";
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    const int fd = connect_one(*a, connect_timeout, why);
    if (fd >= 0) return WaitingSocket(fd, io_timeout);
  }
  throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + ": " + why);
}

WaitingSocket::WaitingSocket(WaitingSocket&& other) noexcept : fd_(other.fd_), io_timeout_(other.io_timeout_) {
  other.fd_ = -1;
}

WaitingSocket& WaitingSocket::operator=(WaitingSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    io_timeout_ = other.io_timeout_;
    other.fd_ = -1;
  }
  return *this;
}

WaitingSocket::~WaitingSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool WaitingSocket::idle_and_open() const {
  if (fd_ < 0) return false;
  char byte;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::size_t WaitingSocket::transfer(Iov& iov, bool write, boost::system::error_code& ec) {
  ec = {};
  if (iov.bytes == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov.v;
  msg.msg_iovlen = static_cast<std::size_t>(iov.count);
  const auto once = [&] {
    return write ? ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) : ::recvmsg(fd_, &msg, MSG_DONTWAIT);
  };
  ssize_t n = once();
  while (not_ready(n)) {
    const int ready = waits::wait_fd(fd_, write ? POLLOUT : POLLIN, io_timeout_);
    if (ready == 0) {
      ec = boost::beast::error::timeout;
      return 0;
    }
    if (ready < 0 && waits::last_errno() != EINTR) {
      ec = boost::system::error_code(waits::last_errno(), boost::system::system_category());
      return 0;
    }
    n = once();
  }
  if (n < 0) {
    ec = boost::system::error_code(waits::last_errno(), boost::system::system_category());
    return 0;
  }
  if (n == 0 && !write) ec = boost::asio::error::eof;
  return static_cast<std::size_t>(n);
}

}  // namespace scalelab::net
