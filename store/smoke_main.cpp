// scalelab-store-smoke: the store library end to end on a fresh machine. It starts a
// redis-server and an s3rver on free loopback ports in a temporary folder, round-trips
// a session and a blob through the shared backends, prints each step, and stops both
// servers. The README's first command runs it until the lab's demo replaces it.
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/backing_services.hpp"
#include "common/config.hpp"
#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/net.hpp"
#include "store/blob_store.hpp"
#include "store/errors.hpp"
#include "store/session_store.hpp"

using namespace scalelab;

int main(int argc, char** argv) {
  CLI::App app{"Round-trips a session (Redis) and a blob (S3) through scalelab's store library"};
  config::parse_or_exit(app, argc, argv);
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("scalelab-smoke-" + ids::random_token(6));
  fs::create_directories(dir / "redis");
  fs::create_directories(dir / "s3");
  int status = 0;
  try {
    const auto redis_port = net::free_port();
    auto redis = process::Process::spawn(services::redis_server(redis_port, (dir / "redis").string(),
                                                                (dir / "redis.log").string()));
    const auto s3_port = net::free_port();
    auto s3 = process::Process::spawn(
        services::s3rver(s3_port, (dir / "s3").string(), "scalelab", (dir / "s3rver.log").string()));
    if (!services::wait_ready(redis_port) || !services::wait_ready(s3_port))
      throw std::runtime_error("redis-server or s3rver did not start; logs in " + dir.string());
    std::printf("started redis-server on 127.0.0.1:%u and s3rver on 127.0.0.1:%u\n", redis_port, s3_port);

    store::StoreMetrics metrics;
    auto pool = std::make_shared<store::RedisClient>(store::parse_redis_url("redis://127.0.0.1:" + std::to_string(redis_port)));
    auto sessions = store::make_redis_session_store(pool, metrics, std::chrono::seconds(60));
    auto session = sessions->create("smoke-user", "smoke");
    auto back = sessions->touch(session.id);
    if (!back || back->user != "smoke-user") throw std::runtime_error("session did not come back from Redis");
    std::printf("session %s for %s: created, then read back from Redis (requests=%lld)\n", session.id.c_str(),
                back->user.c_str(), static_cast<long long>(back->requests));

    store::S3Config s3_config;
    s3_config.endpoint = "http://127.0.0.1:" + std::to_string(s3_port);
    s3_config.bucket = "scalelab";
    s3_config.access_key = s3_config.secret_key = "S3RVER";
    auto blobs = store::make_s3_blob_store(s3_config, metrics);
    const std::string body(256 * 1024, 'x');
    const std::string key = ids::random_token();
    auto put = blobs->put(key, [&](const store::ChunkSink& sink) { sink(body.data(), body.size()); }, body.size(),
                          "application/octet-stream", "smoke");
    crypto::Sha256 hash;
    std::uint64_t read = 0;
    blobs->get(key, std::nullopt, [&](const char* d, std::size_t n) {
      hash.update(d, n);
      read += n;
      return true;
    });
    const std::string sha = hash.hex_digest();
    if (sha != put.sha256 || read != put.size) throw std::runtime_error("blob came back different");
    std::printf("blob %s: %llu bytes stored in S3 (SigV4), read back, sha256 %s matches\n", key.c_str(),
                static_cast<unsigned long long>(read), sha.substr(0, 16).c_str());
    redis.stop();
    s3.stop();
    std::printf("stopped both servers: the store library works on this machine\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab-store-smoke: %s\n", e.what());
    status = 1;
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return status;
}
