#include "tests/support/servers.hpp"

#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "common/backing_services.hpp"
#include "common/net.hpp"
#include "store/database.hpp"

namespace scalelab::testkit {
namespace {

// Starts `make(port)`; if another process grabbed the port first, retries on a new one.
template <class Make>
process::Process start_on_free_port(std::uint16_t& port, Make make, const char* what, bool pick_new) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (pick_new || attempt > 0) port = net::free_port();
    process::Process proc = process::Process::spawn(make(port));
    if (services::wait_ready(port, std::chrono::seconds(20))) return proc;
    if (!pick_new) break;
  }
  throw std::runtime_error(std::string(what) + " did not become ready on 127.0.0.1:" + std::to_string(port));
}

}  // namespace

process::SpawnOptions RedisServer::options(std::uint16_t port) const {
  return services::redis_server(port, dir_.str(), (dir_ / "redis.log").string(), (dir_ / "redis.sock").string());
}

RedisServer::RedisServer() {
  proc_ = start_on_free_port(port_, [this](std::uint16_t p) { return options(p); }, "redis-server", true);
  wait_serving();
}

// Redis listens before it has loaded its append-only file and answers LOADING until
// then; a restarted server is ready for a test only once PING says PONG.
void RedisServer::wait_serving() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (cli("PING") != "PONG") {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("redis-server on port " + std::to_string(port_) + " never answered PONG");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RedisServer::~RedisServer() { proc_.stop(std::chrono::seconds(2)); }

void RedisServer::kill(int sig) {
  proc_.signal(sig);
  if (sig != SIGSTOP && sig != SIGCONT) proc_.wait_for(std::chrono::seconds(5));
}

void RedisServer::start() {
  if (proc_.running()) return;
  proc_ = start_on_free_port(port_, [this](std::uint16_t p) { return options(p); }, "redis-server", false);
  wait_serving();
}

std::string RedisServer::cli(const std::string& args) const {
  const std::string cmd = "redis-cli -p " + std::to_string(port_) + " " + args;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen redis-cli failed");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

S3Server::S3Server() {
  proc_ = start_on_free_port(
      port_,
      [this](std::uint16_t p) {
        return services::s3rver(p, (dir_ / "data").string(), kBucket, (dir_ / "s3rver.log").string());
      },
      "s3rver", true);
}

S3Server::~S3Server() { proc_.stop(std::chrono::seconds(2)); }

void S3Server::kill(int sig) {
  proc_.signal(sig);
  if (sig != SIGSTOP && sig != SIGCONT) proc_.wait_for(std::chrono::seconds(5));
}

void S3Server::start() {
  if (proc_.running()) return;
  proc_ = start_on_free_port(
      port_,
      [this](std::uint16_t p) {
        return services::s3rver(p, (dir_ / "data").string(), kBucket, (dir_ / "s3rver.log").string());
      },
      "s3rver", false);
}

PostgresServer::PostgresServer(int max_connections) : max_connections_(max_connections) {
  data_ = services::make_postgres_home(dir_.path());
  auto initdb = process::Process::spawn(services::postgres_initdb(data_, (dir_ / "initdb.log").string()));
  if (const auto st = initdb.wait(); st.signaled || st.code != 0)
    throw std::runtime_error("initdb failed (" + st.describe() + "); see " + (dir_ / "initdb.log").string());
  start_server(true);
  store::bootstrap_database(superuser_url(), kRole, kDatabase);
}

PostgresServer::~PostgresServer() {
  stop();
  services::remove_postgres_home(dir_.path());
}

std::string PostgresServer::url() const {
  return std::string("postgresql://") + kRole + "@127.0.0.1:" + std::to_string(port_) + "/" + kDatabase;
}

std::string PostgresServer::superuser_url() const { return services::postgres_url(port_); }

void PostgresServer::start_server(bool pick_port) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (pick_port || attempt > 0) port_ = net::free_port();
    proc_ = process::Process::spawn(
        services::postgres_server(port_, data_, max_connections_, (dir_ / "postgres.log").string()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (proc_.running() && std::chrono::steady_clock::now() < deadline) {
      if (store::server_accepts(superuser_url())) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    proc_.stop(std::chrono::seconds(2));
    if (!pick_port) break;
  }
  throw std::runtime_error("postgres did not start on 127.0.0.1:" + std::to_string(port_) + "; see " +
                           (dir_ / "postgres.log").string());
}

void PostgresServer::kill(int sig) {
  proc_.signal(sig);
  if (sig != SIGSTOP && sig != SIGCONT) proc_.wait_for(std::chrono::seconds(5));
}

void PostgresServer::stop() {
  if (!proc_.running()) return;
  proc_.signal(SIGINT);
  if (!proc_.wait_for(std::chrono::seconds(10))) proc_.stop(std::chrono::seconds(1));
}

void PostgresServer::start() {
  if (proc_.running()) return;
  // A killed postmaster's backends may hold the port and the shared memory for a moment.
  start_server(false);
}

std::string PostgresServer::query(const std::string& sql) const {
  store::DatabaseOptions o;
  o.url = std::string("postgresql://scalelab@127.0.0.1:") + std::to_string(port_) + "/" + kDatabase;
  store::DbConnection conn(o);
  const store::Rows rows = conn.exec(sql, {});
  return rows.empty() ? std::string() : rows.text(0, 0);
}

}  // namespace scalelab::testkit
