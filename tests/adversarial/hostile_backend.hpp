// A backend that misbehaves on request, so that proxies can be tried against it. It
// reads each request with Beast and answers by path:
//   /ok/TAG        a correct 200 whose body names TAG: a victim's request
//   /echo          200 whose body says what arrived: method, target, Host, body size
//   /hostile/CASE  the misbehaviour CASE (the table in hostile_backend.cpp)
// Any other path is 404. Every connection has a thread of its own and stays open
// (keep-alive) until the proxy closes it or a case does, so a proxy may reuse a
// connection a hostile answer has left in disorder; that is the point.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scalelab::adversarial {

// The crafted answer a hostile backend hides after a real one. A proxy that pools the
// connection it came on hands it to the next client: a response with a cookie the
// attacker chose and a body that says so.
inline constexpr const char* kPoison =
    "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nSet-Cookie: sid=attacker\r\n\r\nPOISONED";

struct BackendCase {
  const char* name;
  const char* tries;  // one line for the conformance table
};
// Every misbehaviour the backend knows, in table order.
const std::vector<BackendCase>& backend_cases();

class HostileBackend {
 public:
  HostileBackend();  // listens on a free loopback port
  ~HostileBackend();
  HostileBackend(const HostileBackend&) = delete;
  HostileBackend& operator=(const HostileBackend&) = delete;

  std::uint16_t port() const { return port_; }
  // Requests received for a path starting with `prefix`, since the start.
  int received(const std::string& prefix) const;

 private:
  void accept_loop();
  void serve(int fd);

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> paths_;  // every request's path, in arrival order
  std::list<int> open_fds_;
  std::list<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace scalelab::adversarial
