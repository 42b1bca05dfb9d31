// The gated connection; its contract is in gate_stream.hpp.
#include "common/gate_stream.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/json_error.hpp"
#include "common/text.hpp"
#include "common/waits.hpp"

namespace scalelab::http_gate {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kMaxUnreadBody = 1 << 20;  // dropped between requests at most
constexpr milliseconds kLingerTime{500};
constexpr std::size_t kMaxLingerBytes = 16 << 20;
constexpr milliseconds kStopCheck{50};
constexpr std::size_t kMaxHeldHead = 16 * 1024;  // a longer head is sent at once, without its body

const char* reason_phrase(unsigned status) {
  switch (status) {
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

// A 1xx that cpp-httplib writes in one piece (100 Continue) leaves room for the answer.
bool is_interim_response(std::string_view written) {
  return written.starts_with("HTTP/1.1 1") && written.ends_with("\r\n\r\n");
}

// Whether `written` is a whole response head that a body will follow on the wire: a
// final status other than 204 and 304, and a Content-Length over 0 or chunked coding.
// (cpp-httplib writes a head in one piece and its body apart; HEAD is the caller's to
// rule out.)
bool is_head_before_body(std::string_view written) {
  if (!written.starts_with("HTTP/1.") || !written.ends_with("\r\n\r\n") || written.size() < 12) return false;
  const std::string_view status = written.substr(9, 3);
  if (status[0] == '1' || status == "204" || status == "304") return false;
  for (std::size_t at = written.find("\r\n"); at != std::string_view::npos && at + 2 < written.size();
       at = written.find("\r\n", at + 2)) {
    const std::string_view line = written.substr(at + 2, written.find("\r\n", at + 2) - (at + 2));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon), value = text::trim(line.substr(colon + 1));
    if (text::iequals(name, "Content-Length")) return !value.empty() && value != "0";
    if (text::iequals(name, "Transfer-Encoding")) return true;
  }
  return false;
}

void address_of(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  if (addr.ss_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  else
    return;
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) == 0)
    ip = host.data();
}

}  // namespace

GateStream::GateStream(socket_t sock, const StreamSettings& settings)
    : sock_(sock), watch_(sock), settings_(settings), gate_(settings.limits) {}

GateStream::~GateStream() {
  send_held_head();
  // Closing with unread input makes the kernel send a reset, which can destroy an
  // answer the client has not read yet.
  if (refused_ || gate_.buffered() > 0 || (gate_.request_started() && !gate_.request_done())) linger();
  watch_.release();
  ::shutdown(sock_, SHUT_RDWR);
  ::close(sock_);
}

int GateStream::wait(short events, std::chrono::microseconds timeout, waits::Watch::Known known) const {
  return watch_.wait(events, timeout, known);
}

namespace {

// A read or write that found the socket not ready after all. On an event loop the
// socket is non-blocking (Asio made it so), and a readiness report can be spurious.
bool not_ready(ssize_t n) {
  if (n >= 0) return false;
  const int error = waits::last_errno();
  return error == EINTR || error == EAGAIN || error == EWOULDBLOCK;
}

}  // namespace

ssize_t GateStream::receive(std::chrono::microseconds timeout, waits::Watch::Known known) {
  char buf[kReadSize];
  const ssize_t n = watch_.read(buf, sizeof buf, timeout, known);
  if (n < 0) return -1;
  if (n == 0)
    gate_.feed_eof();
  else
    gate_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  return n;
}

bool GateStream::await_request(std::chrono::seconds idle, const std::atomic<socket_t>& listener) {
  const auto deadline = Clock::now() + idle;
  while (listener != INVALID_SOCKET) {
    if (gate_.buffered() > 0 || !gate_.output().empty() || gate_.refusal()) return true;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    // The next request cannot have come yet unless the client pipelines (then the
    // gate mostly holds it already): wait first.
    if (receive(std::min(left, kStopCheck), waits::Watch::Known::not_ready) >= 0) return true;  // a request, or EOF
    if (waits::last_errno() != ETIMEDOUT) return false;
  }
  return false;
}

bool GateStream::finish_request() {
  if (!send_held_head()) return false;
  if (refused_) return false;
  std::size_t dropped = 0;
  while (!gate_.request_done()) {
    if (gate_.refusal()) {
      answer_refusal();  // after an answer began, this only closes the connection
      return false;
    }
    const std::size_t n = gate_.output().size();
    gate_.consume(n);
    dropped += n;
    if (dropped > kMaxUnreadBody) return false;
    if (n == 0 && (gate_.at_eof() || receive(settings_.read_timeout) <= 0)) return false;
  }
  gate_.next_request();
  answer_started_ = false;
  return true;
}

ssize_t GateStream::read(char* ptr, size_t size) {
  for (;;) {
    if (gate_.refusal()) {
      answer_refusal();
      return 0;
    }
    const std::string_view out = gate_.output();
    if (!out.empty()) {
      const std::size_t n = std::min(size, out.size());
      std::memcpy(ptr, out.data(), n);
      gate_.consume(n);
      return static_cast<ssize_t>(n);
    }
    // The end of this request is the end of cpp-httplib's input: it can never read
    // into the next one.
    if (gate_.request_done() || gate_.at_eof()) return 0;
    if (receive(settings_.read_timeout) < 0) return -1;
  }
}

ssize_t GateStream::write(const char* ptr, size_t size) {
  if (refused_) return static_cast<ssize_t>(size);  // the gate has answered already
  // Never blocks: a part sent is a part written, and cpp-httplib writes on. The socket
  // is waited for only when it is full: a wait first would cost every answer a poll
  // (on an event loop, a trip through the loop).
  // A head whose body comes in the next write is held here and leaves with the body in
  // one sendmsg(2): one segment, one wake-up of the client, and one system call where
  // head and body took two. A head held when the body never comes (the handler failed)
  // is sent by whatever comes next: the next request, a refusal, or the close.
  const std::string_view bytes(ptr, size);
  if (held_head_.empty() && !answer_started_ && size <= kMaxHeldHead && !gate_.is_head_request() &&
      is_head_before_body(bytes)) {
    held_head_.assign(bytes);
    answer_started_ = true;
    return static_cast<ssize_t>(size);
  }
  const std::size_t head = held_head_.size();
  iovec parts[2] = {{held_head_.data(), head}, {const_cast<char*>(ptr), size}};
  msghdr message{};
  message.msg_iov = head > 0 ? parts : parts + 1;
  message.msg_iovlen = head > 0 ? 2 : 1;
  const ssize_t n = ::sendmsg(sock_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (not_ready(n)) {
    const int ready = wait(POLLOUT, settings_.write_timeout, waits::Watch::Known::not_ready);
    if (ready <= 0 || (ready & POLLERR)) return -1;
    return 0;
  }
  if (n < 0) return -1;
  const auto sent = static_cast<std::size_t>(n);
  if (sent < head) {  // part of the head left: the body's write comes again
    held_head_.erase(0, sent);
    return 0;
  }
  held_head_.clear();
  if (!answer_started_ && sent > 0) answer_started_ = !is_interim_response(bytes.substr(0, sent - head));
  return static_cast<ssize_t>(sent - head);
}

bool GateStream::send_held_head() {
  if (held_head_.empty()) return true;
  const std::string head = std::move(held_head_);
  held_head_.clear();
  return send_all(head);
}

bool GateStream::is_readable() const {
  return !gate_.output().empty() || wait(POLLIN, settings_.read_timeout) > 0;
}

bool GateStream::is_writable() const {
  // A client that half-closed can still read its answer; only an error or a full
  // close makes the socket useless.
  const int r = wait(POLLOUT, settings_.write_timeout);
  return r > 0 && (r & POLLOUT) && !(r & (POLLERR | POLLHUP));
}

namespace {

using AddressOf = int (*)(int, sockaddr*, socklen_t*);

void cached_address(std::optional<std::pair<std::string, int>>& cache, socket_t sock, AddressOf ask, std::string& ip,
                    int& port) {
  if (!cache) {
    cache.emplace();
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (ask(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, len, cache->first, cache->second);
  }
  ip = cache->first;
  port = cache->second;
}

}  // namespace

void GateStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  cached_address(remote_, sock_, ::getpeername, ip, port);
}

void GateStream::get_local_ip_and_port(std::string& ip, int& port) const {
  cached_address(local_, sock_, ::getsockname, ip, port);
}

void GateStream::answer_refusal() {
  if (refused_) return;
  send_held_head();
  refused_ = true;
  const Refusal& refusal = *gate_.refusal();
  httplib::Headers headers;
  if (settings_.on_refused) settings_.on_refused(refusal, headers);
  if (answer_started_) return;  // cpp-httplib answered this request already: just close
  const http_rules::Rejection& r = refusal.answer;
  const std::string body = error_body(r.error, r.detail);
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!gate_.is_head_request()) out += body;
  send_all(out);
}

bool GateStream::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(sock_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (not_ready(n)) {
      if (wait(POLLOUT, settings_.write_timeout, waits::Watch::Known::not_ready) <= 0) return false;
      continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void GateStream::linger() {
  ::shutdown(sock_, SHUT_WR);
  const auto deadline = Clock::now() + kLingerTime;
  std::size_t drained = 0;
  char buf[kReadSize];
  while (drained < kMaxLingerBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0 || wait(POLLIN, left) <= 0) return;
    const ssize_t n = ::recv(sock_, buf, sizeof buf, 0);
    if (not_ready(n)) continue;
    if (n <= 0) return;
    drained += static_cast<std::size_t>(n);
  }
}

}  // namespace scalelab::http_gate
