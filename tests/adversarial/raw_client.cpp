#include "tests/adversarial/raw_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <thread>

#include "tests/support/sockets.hpp"

namespace scalelab::adversarial {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads what is there without waiting. False once the peer closed or reset.
bool drain(int fd, Exchange& ex) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      ex.bytes.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    ex.peer_closed = true;
    return false;
  }
}

}  // namespace

bool Response::has(const std::string& name, const std::string& value_part) const {
  const auto [first, last] = headers.equal_range(lower(name));
  return std::any_of(first, last, [&](const auto& kv) { return kv.second.find(value_part) != std::string::npos; });
}

std::vector<Response> parse_responses(const std::string& bytes, bool head) {
  std::vector<Response> out;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.header_limit(1 << 24);
    parser.body_limit(1ull << 32);
    if (head && out.empty()) parser.skip(true);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!ec && !parser.is_done() && offset + used < bytes.size()) {
      used += parser.put(boost::asio::buffer(bytes.data() + offset + used, bytes.size() - offset - used), ec);
    }
    if (!parser.is_done()) break;  // incomplete, or not HTTP at all
    Response r;
    r.status = static_cast<int>(parser.get().result_int());
    r.body = parser.get().body();
    for (const auto& f : parser.get()) r.headers.emplace(lower(std::string(f.name_string())), std::string(f.value()));
    out.push_back(std::move(r));
    offset += used;
  }
  return out;
}

Exchange run(std::uint16_t port, const Script& s) {
  Exchange ex;
  const auto start = Clock::now();
  const auto deadline = start + s.timeout;
  const int fd = testkit::connect_loopback(port, true);
  if (fd < 0) {
    ex.peer_closed = true;
    return ex;
  }
  auto done_reading = [&] {
    ex.responses = parse_responses(ex.bytes, s.head);
    return static_cast<int>(ex.responses.size()) >= s.want_responses;
  };
  // Sends `data` whole unless the peer closes first; reads meanwhile.
  auto send_piece = [&](const std::string& data) {
    std::size_t off = 0;
    while (off < data.size() && Clock::now() < deadline) {
      const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        ex.sent += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!drain(fd, ex)) return false;
      pollfd p{fd, POLLOUT | POLLIN, 0};
      ::poll(&p, 1, 20);
    }
    return off == data.size();
  };
  bool open = true;
  for (std::size_t i = 0; open && i < s.parts.size(); ++i) {
    if (i > 0 && s.pause.count() > 0) std::this_thread::sleep_for(s.pause);
    open = send_piece(s.parts[i]) && drain(fd, ex);
  }
  // An endless line: keep sending until the proxy answers, closes, or the cap.
  for (std::uint64_t streamed = 0; open && !s.endless_piece.empty() && streamed < s.endless_bytes;
       streamed += s.endless_piece.size()) {
    open = send_piece(s.endless_piece) && drain(fd, ex);
    if (!ex.bytes.empty() || Clock::now() >= deadline) break;
  }
  while (open && !done_reading()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      ex.timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 50)));
    open = drain(fd, ex);
  }
  drain(fd, ex);  // what arrived before a close that cut a send short
  done_reading();
  ex.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return ex;
}

}  // namespace scalelab::adversarial
