// Test harness implementation; see harness.hpp.
#include "tests/balancer/harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/net.hpp"

namespace scalelab::balancer_test {

std::string binary(const std::string& name) { return std::string(SCALELAB_BINARY_DIR) + "/bin/" + name; }

TestBackend::TestBackend(std::string id, std::string host, std::uint16_t port, std::vector<std::string> prefix)
    : id_(std::move(id)), host_(std::move(host)), port_(port), prefix_(std::move(prefix)) {
  const bool pick = port_ == 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (pick) port_ = net::free_port();
    process::SpawnOptions o;
    o.argv = prefix_;
    for (const auto& a : std::vector<std::string>{binary("balancer_test_backend"), "--port", std::to_string(port_),
                                                  "--id", id_, "--host", host_})
      o.argv.push_back(a);
    o.log_path = (dir_ / "backend.log").string();
    proc_ = process::Process::spawn(o);
    // Inside a network namespace the port is not reachable from here: trust a pause.
    if (!prefix_.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (proc_.running()) return;
    } else if (net::wait_for_port(host_, port_, std::chrono::seconds(5))) {
      return;
    }
    proc_.stop(std::chrono::seconds(1));
    if (!pick) break;
  }
  throw std::runtime_error("test backend " + id_ + " did not start");
}

TestBackend::~TestBackend() {
  proc_.signal(SIGCONT);
  proc_.stop(std::chrono::seconds(2));
}

void TestBackend::signal(int sig) {
  proc_.signal(sig);
  if (sig == SIGKILL) proc_.wait_for(std::chrono::seconds(5));
}

Balancer::Balancer(std::vector<std::string> flags, std::vector<std::string> prefix, bool wait_ready) {
  log_path_ = (dir_ / "balancer.log").string();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = net::free_port();
    admin_port_ = net::free_port();
    if (admin_port_ == port_) continue;
    process::SpawnOptions o;
    o.argv = prefix;
    o.argv.push_back(binary("scalelab-balancer"));
    o.argv.push_back("--listen=127.0.0.1:" + std::to_string(port_));
    o.argv.push_back("--admin-listen=127.0.0.1:" + std::to_string(admin_port_));
    for (const auto& f : flags) o.argv.push_back(f);
    o.log_path = log_path_;
    proc_ = process::Process::spawn(o);
    if (!wait_ready) return;
    if (!prefix.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (proc_.running()) return;
    } else if (net::wait_for_port("127.0.0.1", port_, std::chrono::seconds(5)) &&
               net::wait_for_port("127.0.0.1", admin_port_, std::chrono::seconds(5))) {
      return;
    }
    proc_.stop(std::chrono::seconds(1));
  }
  throw std::runtime_error("scalelab-balancer did not start; log:\n" + log());
}

Balancer::~Balancer() { proc_.stop(std::chrono::seconds(5)); }

std::string Balancer::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> Balancer::access_lines() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(log());
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("msg", "") == "access") lines.push_back(std::move(j));
  }
  return lines;
}

httplib::Client make_client(const std::string& host, std::uint16_t port) {
  httplib::Client c(host, port);
  c.set_tcp_nodelay(true);
  c.set_keep_alive(true);
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(20));
  c.set_write_timeout(std::chrono::seconds(20));
  return c;
}

httplib::Client Balancer::client() const { return make_client("127.0.0.1", port_); }
httplib::Client Balancer::admin_client() const { return make_client("127.0.0.1", admin_port_); }

nlohmann::json Balancer::backends() const {
  auto c = admin_client();
  auto res = c.Get("/admin/backends");
  if (!res || res->status != 200) return nlohmann::json::object();
  return nlohmann::json::parse(res->body, nullptr, false);
}

std::optional<nlohmann::json> Balancer::backend(const std::string& id) const {
  const auto all = backends();
  if (!all.contains("backends")) return std::nullopt;
  for (const auto& b : all["backends"])
    if (b.value("id", "") == id) return b;
  return std::nullopt;
}

std::string Balancer::metrics() const {
  auto c = admin_client();
  auto res = c.Get("/metrics");
  return res ? res->body : "";
}

double Balancer::metric(const std::string& series) const {
  std::istringstream in(metrics());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect");
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
  return std::atoi(raw.substr(9, 3).c_str());
}


}  // namespace scalelab::balancer_test
