#include "tests/adversarial/proxies.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "common/net.hpp"

namespace scalelab::adversarial {
namespace {

std::string binary_of(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::scalelab: {
      // Another build can be put to the same cases (an older commit, to see what a fix fixed).
      const char* other = std::getenv("SCALELAB_ADVERSARIAL_BALANCER");
      return other != nullptr && *other != '\0' ? other : std::string(SCALELAB_BINARY_DIR) + "/bin/scalelab-balancer";
    }
    case ProxyKind::haproxy: return "/usr/sbin/haproxy";
    case ProxyKind::nginx: return "/usr/sbin/nginx";
  }
  return {};
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string haproxy_config(std::uint16_t port, std::uint16_t backend, bool access_log) {
  std::ostringstream c;
  c << "global\n  nbthread 1\n  maxconn 4096\n" << (access_log ? "  log stdout format raw local0\n" : "")
    << "defaults\n  mode http\n" << (access_log ? "  log global\n  option httplog\n" : "")
    << "  option http-keep-alive\n  timeout connect 1s\n  timeout client 3s\n"
    << "  timeout server 3s\n  timeout http-request 3s\n  timeout http-keep-alive 3s\n"
    << "frontend fe\n  bind 127.0.0.1:" << port << "\n  default_backend be\n"
    << "backend be\n  http-reuse always\n  server s1 127.0.0.1:" << backend << "\n";
  return c.str();
}

std::string nginx_config(const std::string& dir, std::uint16_t port, std::uint16_t backend,
                         const std::string& access_log) {
  std::ostringstream c;
  c << "daemon off; master_process off; worker_processes 1; pid " << dir << "/nginx.pid;\n"
    << "error_log " << dir << "/proxy.log warn;\n"
    << "events { worker_connections 4096; }\n"
    << "http {\n  access_log " << (access_log.empty() ? "off" : access_log) << ";\n"
    << "  client_body_temp_path " << dir << "; proxy_temp_path " << dir << "; fastcgi_temp_path " << dir
    << "; uwsgi_temp_path " << dir << "; scgi_temp_path " << dir << ";\n"
    << "  client_header_timeout 3s; client_body_timeout 3s; send_timeout 3s; keepalive_timeout 3s;\n"
    << "  upstream u { server 127.0.0.1:" << backend << "; keepalive 8; }\n"
    << "  server {\n    listen 127.0.0.1:" << port << ";\n    location / {\n"
    << "      proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection \"\";\n"
    << "      proxy_connect_timeout 1s; proxy_read_timeout 3s; proxy_send_timeout 3s;\n"
    << "      proxy_buffering off; proxy_request_buffering off;\n    }\n  }\n}\n";
  return c.str();
}

}  // namespace

const char* proxy_name(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::scalelab: return "scalelab-balancer";
    case ProxyKind::haproxy: return "HAProxy";
    case ProxyKind::nginx: return "nginx";
  }
  return "?";
}

std::vector<ProxyKind> all_proxies() { return {ProxyKind::scalelab, ProxyKind::haproxy, ProxyKind::nginx}; }

std::optional<std::string> missing(ProxyKind kind) {
  if (::access(binary_of(kind).c_str(), X_OK) == 0) return std::nullopt;
  return binary_of(kind) + " is not installed (Debian package " +
         (kind == ProxyKind::haproxy ? "haproxy" : kind == ProxyKind::nginx ? "nginx-light" : "scalelab build") + ")";
}

std::string proxy_version(ProxyKind kind) {
  if (kind == ProxyKind::scalelab) return "this tree";
  if (missing(kind)) return "not installed";
  const std::string command = binary_of(kind) + (kind == ProxyKind::haproxy ? " -v 2>&1" : " -v 2>&1");
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "unknown";
  std::array<char, 256> line{};
  if (::fgets(line.data(), line.size(), pipe.get()) == nullptr) return "unknown";
  // "HA-Proxy version 2.6.12-1+deb12u1 2023/..." or "nginx version: nginx/1.22.1"
  std::string text = line.data();
  const auto slash = text.find("nginx/");
  if (slash != std::string::npos) return text.substr(slash + 6, text.find_first_of(" \n", slash + 6) - slash - 6);
  const auto v = text.find("version ");
  if (v != std::string::npos) return text.substr(v + 8, text.find_first_of(" \n", v + 8) - v - 8);
  return "unknown";
}

Proxy::Proxy(ProxyKind kind, std::uint16_t backend_port, const std::string& access_log) : kind_(kind) {
  if (auto why = missing(kind)) throw std::runtime_error(*why);
  const std::string dir = dir_.str();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = net::free_port();
    process::SpawnOptions o;
    o.log_path = dir + "/proxy.log";
    if (!access_log.empty() && kind != ProxyKind::nginx) o.log_path = access_log;
    switch (kind) {
      case ProxyKind::scalelab: {
        const std::uint16_t admin = net::free_port();
        o.argv = {binary_of(kind), "--listen", "127.0.0.1:" + std::to_string(port_), "--admin-listen",
                  "127.0.0.1:" + std::to_string(admin), "--backend", "s1=127.0.0.1:" + std::to_string(backend_port),
                  "--threads", "1", "--health-interval-ms", "0", "--max-conns-per-backend", "8",
                  "--connect-timeout-ms", "1000", "--header-timeout-ms", "3000", "--client-timeout-ms", "3000",
                  "--response-timeout-ms", "3000", "--retries", "0", "--access-log",
                  access_log.empty() ? "false" : "true"};
        break;
      }
      case ProxyKind::haproxy:
        write_file(dir_ / "haproxy.cfg", haproxy_config(port_, backend_port, !access_log.empty()));
        o.argv = {binary_of(kind), "-db", "-f", dir + "/haproxy.cfg"};
        break;
      case ProxyKind::nginx:
        write_file(dir_ / "nginx.conf", nginx_config(dir, port_, backend_port, access_log));
        o.argv = {binary_of(kind), "-e", dir + "/proxy.log", "-p", dir, "-c", dir + "/nginx.conf"};
        break;
    }
    process_ = process::Process::spawn(o);
    if (net::wait_for_port("127.0.0.1", port_, std::chrono::seconds(5))) return;
    process_ = process::Process();  // a port race: kill it and try another port
  }
  throw std::runtime_error(std::string(proxy_name(kind)) + " did not start: " + log());
}

std::string Proxy::log() const {
  std::ifstream in(dir_ / "proxy.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace scalelab::adversarial
