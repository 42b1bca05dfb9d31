// How scalelab runs its backing services on one machine: redis-server with an
// append-only file in its own folder, s3rver (the local S3 server from npm) in its
// own folder with the bucket created, and PostgreSQL in a data folder of its own.
// Tests and the lab's supervisor start them the same way, from here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

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

// PostgreSQL. Debian keeps its server programs in /usr/lib/postgresql/<major>/bin, off
// PATH: this is $SCALELAB_PG_BIN, else the newest such folder, else the folder of an
// `initdb` on PATH. Throws std::runtime_error naming the package to install.
std::string postgres_bin_dir();

// PostgreSQL refuses to run as root. Run as root, it runs as the `postgres` user that
// Debian's package creates (throws if there is none); otherwise as ourselves (nullopt).
std::optional<std::pair<uid_t, gid_t>> postgres_user();

// Makes the folder a PostgreSQL data folder lives in, for `home` (a lab's folder, a
// test's temporary folder), and returns the data folder's path. As ourselves that is
// <home>/postgres/data. As root, PostgreSQL's user cannot reach a private folder of
// root's (mkdtemp makes them 0700), so the data lives in a folder of that user's own
// under the system's temporary folder, and <home>/postgres links to it.
std::filesystem::path make_postgres_home(const std::filesystem::path& home);
// Removes what make_postgres_home made, the data included. Never throws.
void remove_postgres_home(const std::filesystem::path& home) noexcept;

// initdb for `data_dir`: superuser `scalelab`, trust authentication (the server listens
// on 127.0.0.1 only, as every backing service of the lab), UTF-8.
process::SpawnOptions postgres_initdb(const std::filesystem::path& data_dir, const std::string& log_path = "");

// The server on 127.0.0.1:port, TCP only (no Unix socket), fsync on, with
// `max_connections` client connections (the budget every instance's pool shares).
process::SpawnOptions postgres_server(std::uint16_t port, const std::filesystem::path& data_dir, int max_connections,
                                      const std::string& log_path = "");

// pgbouncer (Debian's 1.18) with the configuration `ini`, as PostgreSQL's user when we
// are root (it refuses to run as root too). pgbouncer_ini writes one: listening on
// 127.0.0.1:port, the database `db` on 127.0.0.1:server_port as `role` in transaction
// pooling, holding at most `server_connections` server connections.
process::SpawnOptions pgbouncer(const std::filesystem::path& ini, const std::string& log_path = "");
void write_pgbouncer_ini(const std::filesystem::path& ini, std::uint16_t port, std::uint16_t server_port,
                         const std::string& db, const std::string& role, int server_connections);

// The libpq URL of that server's `postgres` database, as the superuser.
std::string postgres_url(std::uint16_t port);

// Polls until the server accepts connections; s3rver's node start-up takes ~0.5 s.
bool wait_ready(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace scalelab::services
