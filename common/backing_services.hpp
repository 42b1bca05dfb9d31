// How scalelab runs its backing services on one machine: redis-server with an
// append-only file in its own folder, and s3rver (the local S3 server from npm) in its
// own folder with the bucket created. Tests and the lab's supervisor start them the
// same way, from here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/process.hpp"

namespace scalelab::services {

// redis-server on 127.0.0.1:port, data and AOF under `dir`, no RDB snapshots; also on
// the Unix socket `unix_socket` when given (its path must fit in 107 bytes).
process::SpawnOptions redis_server(std::uint16_t port, const std::string& dir, const std::string& log_path = "",
                                   const std::string& unix_socket = "");

// The s3rver executable: $SCALELAB_S3RVER, else node_modules/.bin/s3rver in the
// source tree, else `s3rver` on PATH. Throws std::runtime_error naming what to install.
std::string s3rver_executable();

// s3rver on 127.0.0.1:port, objects under `dir`, `bucket` created at start-up.
process::SpawnOptions s3rver(std::uint16_t port, const std::string& dir, const std::string& bucket,
                             const std::string& log_path = "");

// Polls until the server accepts connections; s3rver's node start-up takes ~0.5 s.
bool wait_ready(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace scalelab::services
