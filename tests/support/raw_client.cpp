#include "tests/support/raw_client.hpp"

#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "tests/support/sockets.hpp"

namespace scalelab::testkit {

RawConnection::RawConnection(std::uint16_t port) : fd_(connect_loopback(port, false)) {}

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

bool RawConnection::fill(int timeout_ms) {
  if (fd_ < 0 || eof_ || !readable_within(timeout_ms)) return false;
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<RawResponse> RawConnection::read_response(bool head_only, int timeout_ms) {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(timeout_ms)) return std::nullopt;
  RawResponse r;
  r.head = buffer_.substr(0, end + 2);
  buffer_.erase(0, end + 4);
  if (r.head.rfind("HTTP/1.", 0) != 0 || r.head.size() < 12) return std::nullopt;
  r.status = std::atoi(r.head.c_str() + 9);
  if (head_only || r.status == 204 || r.status == 304 || r.status < 200) return r;
  if (r.has_header("Content-Length")) {
    const std::size_t length = std::stoull(r.header("Content-Length"));
    while (buffer_.size() < length)
      if (!fill(timeout_ms)) return std::nullopt;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }
  if (r.header("Transfer-Encoding") == "chunked") {
    for (;;) {
      std::size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos)
        if (!fill(timeout_ms)) return std::nullopt;
      const std::size_t size = std::stoull(buffer_.substr(0, line_end), nullptr, 16);
      while (buffer_.size() < line_end + 2 + size + 2)
        if (!fill(timeout_ms)) return std::nullopt;
      r.body += buffer_.substr(line_end + 2, size);
      buffer_.erase(0, line_end + 2 + size + 2);  // no trailers from our servers
      if (size == 0) return r;
    }
  }
  return std::nullopt;  // close-delimited: not something these servers send
}

std::string RawConnection::extra_bytes(int quiet_ms) {
  while (fill(quiet_ms)) {
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

bool RawConnection::closed_within(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_ && std::chrono::steady_clock::now() < deadline) fill(50);
  return eof_;
}

std::string RawResponse::header(const std::string& name) const {
  std::istringstream in(head);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon != name.size() || ::strncasecmp(line.c_str(), name.c_str(), colon) != 0)
      continue;
    std::size_t start = colon + 1;
    while (start < line.size() && line[start] == ' ') ++start;
    return line.substr(start);
  }
  return {};
}

bool RawResponse::has_header(const std::string& name) const {
  std::istringstream in(head);
  std::string line;
  while (std::getline(in, line))
    if (line.size() > name.size() && line[name.size()] == ':' && ::strncasecmp(line.c_str(), name.c_str(), name.size()) == 0)
      return true;
  return false;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, bool half_close, int timeout_ms) {
  RawConnection c(port);
  c.send(bytes);
  if (half_close) c.shutdown_write();
  return c.read_answer(timeout_ms);
}

int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
  return std::atoi(raw.substr(9, 3).c_str());
}

FloodResult flood_line(std::uint16_t port, const std::string& head, std::size_t total, char filler,
                       std::chrono::milliseconds answer_timeout) {
  using Clock = std::chrono::steady_clock;
  FloodResult result;
  const int fd = connect_loopback(port, false);
  if (fd < 0) return result;
  const auto start = Clock::now();
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> sent{0};
  std::thread sender([&] {
    std::string piece = head;
    std::size_t filler_left = total;
    while (!stop && (!piece.empty() || filler_left > 0)) {
      if (piece.empty()) {
        piece.assign(std::min<std::size_t>(filler_left, 1 << 20), filler);
        filler_left -= piece.size();
      }
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) continue;  // the server is not reading: look at stop again
      if (p.revents & (POLLERR | POLLHUP)) return;
      const ssize_t n = ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return;  // reset or closed: the server stopped taking bytes
      sent += static_cast<std::size_t>(n);
      piece.erase(0, static_cast<std::size_t>(n));
    }
  });
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(answer_timeout.count())) > 0)
    result.answered_after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  stop = true;
  sender.join();
  result.sent = sent;
  char buf[4096];
  for (pollfd q{fd, POLLIN, 0}; result.answered_after.count() >= 0 && ::poll(&q, 1, 300) > 0;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    result.answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return result;
}

}  // namespace scalelab::testkit
