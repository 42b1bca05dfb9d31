#include "tests/adversarial/hostile_backend.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>

#include "tests/support/sockets.hpp"

namespace scalelab::adversarial {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

const std::string kHello = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes `piece` again and again, for at most 64 MiB or 5 s: a line that never ends.
void send_forever(int fd, const std::string& head, char filler) {
  if (!send_all(fd, head)) return;
  const std::string piece(64 * 1024, filler);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (int i = 0; i < 1024 && std::chrono::steady_clock::now() < deadline; ++i)
    if (!send_all(fd, piece)) return;
}

void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(fd, SHUT_RDWR);
}

// What a case does to the connection it answers on. False: close the connection.
using Act = std::function<bool(int fd)>;

struct CaseEntry {
  BackendCase info;
  Act act;
};

const std::vector<CaseEntry>& case_table() {
  static const std::vector<CaseEntry> table = {
      {{"overrun", "a response followed, in the same write, by a second one it never declared"},
       [](int fd) { return send_all(fd, kHello + kPoison); }},
      {{"late_overrun", "a complete response, then 100 ms later a second one nobody asked for"},
       [](int fd) {
         if (!send_all(fd, kHello)) return false;
         std::this_thread::sleep_for(100ms);
         return send_all(fd, kPoison);
       }},
      {{"chunked_then_more", "a chunked response whose last chunk is followed by a second response"},
       [](int fd) {
         return send_all(fd, std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") +
                                 kPoison);
       }},
      {{"head_with_body", "an answer to HEAD that sends a body anyway (the bytes are a second response)"},
       [](int fd) { return send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") + kPoison); }},
      {{"no_content_with_body", "204 No Content followed by bytes"},
       [](int fd) { return send_all(fd, std::string("HTTP/1.1 204 No Content\r\n\r\n") + kPoison); }},
      {{"not_modified_with_body", "304 Not Modified followed by bytes"},
       [](int fd) { return send_all(fd, std::string("HTTP/1.1 304 Not Modified\r\n\r\n") + kPoison); }},
      {{"interim_1xx", "103 Early Hints and 102 Processing before the real 200"},
       [](int fd) {
         return send_all(fd, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                             "HTTP/1.1 102 Processing\r\n\r\n" + kHello);
       }},
      {{"undersend", "declares 100 bytes, sends 10, closes"},
       [](int fd) {
         send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
         return false;
       }},
      {{"close_mid_chunk", "closes halfway through a chunk"},
       [](int fd) {
         send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
         return false;
       }},
      {{"reset_mid_body", "resets the connection halfway through the body"},
       [](int fd) {
         send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
         std::this_thread::sleep_for(20ms);
         reset(fd);
         return false;
       }},
      {{"drip", "a correct response, one byte every 20 ms"},
       [](int fd) {
         for (char c : kHello) {
           if (!send_all(fd, std::string(1, c))) return false;
           std::this_thread::sleep_for(20ms);
         }
         return true;
       }},
      {{"close_delimited", "no length, no chunking: the body ends at the close"},
       [](int fd) {
         send_all(fd, "HTTP/1.1 200 OK\r\n\r\nhello");
         std::this_thread::sleep_for(50ms);
         return false;
       }},
      {{"endless_chunk_line", "a chunk-size line that never ends (64 MiB of hex digits)"},
       [](int fd) {
         send_forever(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 'f');
         return false;
       }},
      {{"endless_chunk_extension", "a chunk extension that never ends"},
       [](int fd) {
         send_forever(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=", 'a');
         return false;
       }},
      {{"endless_trailer", "a trailer field that never ends"},
       [](int fd) {
         send_forever(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: ", 'a');
         return false;
       }},
      {{"endless_header", "a response header line that never ends"},
       [](int fd) {
         send_forever(fd, "HTTP/1.1 200 OK\r\nX-Long: ", 'a');
         return false;
       }},
      {{"huge_headers", "1 MiB of response header lines, then a body"},
       [](int fd) {
         std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n";
         for (int i = 0; i < 16 * 1024; ++i) head += "X-" + std::to_string(i) + ": " + std::string(50, 'h') + "\r\n";
         return send_all(fd, head + "\r\nhello");
       }},
      {{"bare_lf_chunks", "chunk lines that end in a bare LF"},
       [](int fd) {
         send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n");
         std::this_thread::sleep_for(200ms);
         return false;
       }},
      {{"conflicting_lengths", "two Content-Length headers that disagree"},
       [](int fd) {
         return send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 49\r\n\r\nhello") +
                                 kPoison);
       }},
      {{"length_and_chunked", "Content-Length and Transfer-Encoding: chunked together"},
       [](int fd) {
         return send_all(fd, std::string("HTTP/1.1 200 OK\r\nContent-Length: 200\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         "5\r\nhello\r\n0\r\n\r\n") + kPoison);
       }},
      {{"status_000", "a status line with code 000 (Beast parses it as 0)"},
       [](int fd) { return send_all(fd, "HTTP/1.1 000 OK\r\nContent-Length: 5\r\n\r\nhello"); }},
      {{"switching_protocols", "101 Switching Protocols to a request that asked for no upgrade"},
       [](int fd) {
         return send_all(fd, std::string("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n") +
                                 kPoison);
       }},
  };
  return table;
}

std::string ok_response(const std::string& tag) {
  const std::string body = "tag:" + tag;
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\nX-Tag: " + tag + "\r\n\r\n" + body;
}

template <class Request>
std::string echo_response(const Request& req) {
  std::string body = "method=" + std::string(req.method_string()) + "\ntarget=" + std::string(req.target()) +
                     "\nhost=" + (req.count(http::field::host) ? std::string(req[http::field::host]) : "(none)") +
                     "\nhosts=" + std::to_string(req.count(http::field::host)) +
                     "\nversion=" + std::to_string(req.version()) + "\nbody=" + std::to_string(req.body().size()) +
                     "\nexpect=" + std::string(req[http::field::expect]) + "\n";
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

const std::vector<BackendCase>& backend_cases() {
  static const std::vector<BackendCase> cases = [] {
    std::vector<BackendCase> out;
    for (const auto& e : case_table()) out.push_back(e.info);
    return out;
  }();
  return cases;
}

HostileBackend::HostileBackend() {
  listener_ = testkit::listen_loopback(port_, 256);
  if (listener_ < 0) throw std::runtime_error("hostile backend: cannot listen on 127.0.0.1");
  acceptor_ = std::thread([this] { accept_loop(); });
}

HostileBackend::~HostileBackend() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes a blocked read or write
  }
  for (auto& t : threads_) t.join();
}

int HostileBackend::received(const std::string& prefix) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& p : paths_) n += p.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

void HostileBackend::accept_loop() {
  for (;;) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 || stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    timeval send_timeout{1, 0};  // a proxy that stops reading must not hold a thread
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void HostileBackend::serve(int fd) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.assign(boost::asio::ip::tcp::v4(), ::dup(fd), ec);
  beast::flat_buffer buffer;
  bool keep = !ec;
  while (keep && !stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(1 << 20);
    parser.body_limit(64 << 20);
    http::read(socket, buffer, parser, ec);
    if (ec) break;
    const auto& req = parser.get();
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    {
      std::lock_guard lock(mu_);
      paths_.push_back(path);
    }
    if (path.rfind("/ok/", 0) == 0) {
      keep = send_all(fd, ok_response(path.substr(4)));
    } else if (path == "/echo") {
      keep = send_all(fd, echo_response(req));
    } else if (path.rfind("/hostile/", 0) == 0) {
      const std::string name = path.substr(9);
      keep = false;
      for (const auto& e : case_table())
        if (name == e.info.name) keep = e.act(fd);
    } else {
      keep = send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    keep = keep && req.keep_alive();
  }
  socket.close(ec);
  std::lock_guard lock(mu_);
  open_fds_.remove(fd);
  ::close(fd);
}

}  // namespace scalelab::adversarial
