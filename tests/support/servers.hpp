// Real backing servers for tests: a redis-server and an s3rver on free loopback ports,
// each in its own temporary folder. They stop when the object goes away (and die with
// the test process if it crashes, through PR_SET_PDEATHSIG). Tests can kill, freeze
// and restart them on the same port and folder to exercise failure paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::testkit {

class RedisServer {
 public:
  RedisServer();  // starts it; throws if it does not become ready
  ~RedisServer();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // The same server over its Unix socket.
  std::string unix_url() const { return "unix://" + (dir_ / "redis.sock").string(); }
  void kill(int sig);   // e.g. SIGKILL; reaps it unless sig is STOP/CONT
  void start();         // (re)starts on the same port and folder, waits until ready
  bool running() { return proc_.running(); }
  // Runs a redis-cli command against this server and returns its stdout (trimmed).
  std::string cli(const std::string& args) const;

 private:
  process::SpawnOptions options(std::uint16_t port) const;
  void wait_serving() const;
  TempDir dir_{"scalelab-redis"};
  std::uint16_t port_;
  process::Process proc_;
};

class S3Server {
 public:
  static constexpr const char* kBucket = "scalelab-test";
  static constexpr const char* kAccessKey = "S3RVER";
  static constexpr const char* kSecretKey = "S3RVER";

  S3Server();
  ~S3Server();
  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Where s3rver keeps the bucket's objects (one folder per object key).
  std::filesystem::path bucket_dir() const { return dir_ / "data" / kBucket; }
  void kill(int sig);
  void start();
  bool running() { return proc_.running(); }

 private:
  TempDir dir_{"scalelab-s3"};
  std::uint16_t port_;
  process::Process proc_;
};

// PostgreSQL 15 in a data folder of its own (common/backing_services.hpp), bootstrapped
// as the lab does it: the instances' role `scalelab_app` owns the database `scalelab`.
class PostgresServer {
 public:
  static constexpr const char* kRole = "scalelab_app";
  static constexpr const char* kDatabase = "scalelab";

  explicit PostgresServer(int max_connections = 40);
  ~PostgresServer();
  std::uint16_t port() const { return port_; }
  // The instances' URL, and the superuser's (whose connections use the reserve).
  std::string url() const;
  std::string superuser_url() const;
  void kill(int sig);  // SIGKILL, SIGSTOP...; reaps unless STOP/CONT
  void stop();         // a fast shutdown (SIGINT): clients are disconnected
  void start();        // (re)starts on the same port and data, waits until it accepts
  bool running() { return proc_.running(); }
  // Runs `sql` as the superuser in the app's database; the first row's first cell.
  std::string query(const std::string& sql) const;

 private:
  void start_server(bool pick_port);
  TempDir dir_{"scalelab-pg"};
  std::filesystem::path data_;
  int max_connections_;
  std::uint16_t port_ = 0;
  process::Process proc_;
};

}  // namespace scalelab::testkit
