#include "common/backing_services.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/net.hpp"

#ifndef SCALELAB_SOURCE_DIR
#define SCALELAB_SOURCE_DIR "."
#endif

namespace scalelab::services {

process::SpawnOptions redis_server(std::uint16_t port, const std::string& dir, const std::string& log_path,
                                   const std::string& unix_socket) {
  process::SpawnOptions o;
  o.argv = {"redis-server",   "--bind",       "127.0.0.1", "--port",       std::to_string(port),
            "--dir",          dir,            "--appendonly", "yes",       "--appendfsync",
            "everysec",       "--save",       "",          "--daemonize", "no",
            "--protected-mode", "no",         "--loglevel", "warning"};
  if (!unix_socket.empty()) o.argv.insert(o.argv.end(), {"--unixsocket", unix_socket, "--unixsocketperm", "700"});
  o.log_path = log_path;
  return o;
}

std::string s3rver_executable() {
  if (const char* env = std::getenv("SCALELAB_S3RVER"); env != nullptr && *env != '\0') {
    if (auto found = process::find_executable(env)) return *found;
    throw std::runtime_error(std::string("SCALELAB_S3RVER=") + env + " is not executable");
  }
  const std::string bundled = std::string(SCALELAB_SOURCE_DIR) + "/node_modules/.bin/s3rver";
  if (auto found = process::find_executable(bundled)) return *found;
  if (auto found = process::find_executable("s3rver")) return *found;
  throw std::runtime_error("s3rver not found: run scripts/setup.sh (npm ci) or set SCALELAB_S3RVER");
}

process::SpawnOptions s3rver(std::uint16_t port, const std::string& dir, const std::string& bucket,
                             const std::string& log_path) {
  process::SpawnOptions o;
  o.argv = {s3rver_executable(), "--silent", "-d", dir, "-a", "127.0.0.1", "-p", std::to_string(port),
            "--configure-bucket", bucket};
  o.log_path = log_path;
  return o;
}

std::string postgres_bin_dir() {
  if (const char* env = std::getenv("SCALELAB_PG_BIN"); env != nullptr && *env != '\0') {
    if (process::find_executable(std::string(env) + "/initdb")) return env;
    throw std::runtime_error(std::string("SCALELAB_PG_BIN=") + env + " has no initdb");
  }
  std::filesystem::path best;
  int best_major = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    const int major = std::atoi(name.c_str());
    if (major > best_major && process::find_executable((entry.path() / "bin" / "initdb").string())) {
      best_major = major;
      best = entry.path() / "bin";
    }
  }
  if (best_major > 0) return best.string();
  if (auto found = process::find_executable("initdb")) return std::filesystem::path(*found).parent_path().string();
  throw std::runtime_error("PostgreSQL's server is not installed: run scripts/setup.sh (package postgresql-15) or set SCALELAB_PG_BIN");
}

std::optional<std::pair<uid_t, gid_t>> postgres_user() {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* user = ::getpwnam("postgres");
  if (user == nullptr)
    throw std::runtime_error("PostgreSQL cannot run as root and there is no `postgres` user (package postgresql-15 creates it)");
  return std::make_pair(user->pw_uid, user->pw_gid);
}

std::filesystem::path make_postgres_home(const std::filesystem::path& home) {
  const auto link = home / "postgres";
  remove_postgres_home(home);
  const auto user = postgres_user();
  if (!user) {
    std::filesystem::create_directories(link);
    return link / "data";
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "scalelab-postgres-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  if (::chown(pattern.c_str(), user->first, user->second) != 0)
    throw std::system_error(errno, std::generic_category(), "chown " + pattern);
  std::filesystem::create_directories(home);
  std::filesystem::create_directory_symlink(pattern, link);
  return std::filesystem::path(pattern) / "data";
}

void remove_postgres_home(const std::filesystem::path& home) noexcept {
  const auto link = home / "postgres";
  std::error_code ec;
  if (std::filesystem::is_symlink(link, ec)) {
    const auto target = std::filesystem::read_symlink(link, ec);
    // Only a folder make_postgres_home made: never follow a link somewhere else.
    if (!ec && target.filename().string().rfind("scalelab-postgres-", 0) == 0) std::filesystem::remove_all(target, ec);
  }
  std::filesystem::remove_all(link, ec);
}

process::SpawnOptions postgres_initdb(const std::filesystem::path& data_dir, const std::string& log_path) {
  process::SpawnOptions o;
  // --no-sync: the cluster is new and disposable, so initdb need not wait for the disk;
  // the server itself runs with fsync on.
  o.argv = {postgres_bin_dir() + "/initdb", "-D", data_dir.string(), "-U", "scalelab", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"};
  o.run_as = postgres_user();
  o.log_path = log_path;
  return o;
}

process::SpawnOptions postgres_server(std::uint16_t port, const std::filesystem::path& data_dir, int max_connections,
                                      const std::string& log_path) {
  process::SpawnOptions o;
  o.argv = {postgres_bin_dir() + "/postgres",
            "-D", data_dir.string(),
            "-p", std::to_string(port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
            "-c", "max_connections=" + std::to_string(max_connections),
            "-c", "superuser_reserved_connections=3",
            "-c", "fsync=on",
            "-c", "log_min_messages=warning",
            "-c", "log_line_prefix=%m [%p] "};
  o.run_as = postgres_user();
  o.log_path = log_path;
  return o;
}

process::SpawnOptions pgbouncer(const std::filesystem::path& ini, const std::string& log_path) {
  process::SpawnOptions o;
  const char* installed = "/usr/sbin/pgbouncer";  // Debian's, off a normal user's PATH
  o.argv = {process::find_executable(installed) ? installed : "pgbouncer", ini.string()};
  o.run_as = postgres_user();
  o.log_path = log_path;
  return o;
}

void write_pgbouncer_ini(const std::filesystem::path& ini, std::uint16_t port, std::uint16_t server_port,
                         const std::string& db, const std::string& role, int server_connections) {
  const auto users = ini.parent_path() / "pgbouncer-users.txt";
  std::ofstream(users) << "\"" << role << "\" \"\"\n";
  std::ofstream out(ini);
  out << "; Written by scalelab for the lab's pgbouncer.\n"
      << "[databases]\n"
      << db << " = host=127.0.0.1 port=" << server_port << " dbname=" << db << " user=" << role << "\n"
      << "[pgbouncer]\n"
      << "listen_addr = 127.0.0.1\nlisten_port = " << port << "\nunix_socket_dir =\n"
      << "auth_type = trust\nauth_file = " << users.string() << "\n"
      << "pool_mode = transaction\n"
      << "default_pool_size = " << server_connections << "\nmax_db_connections = " << server_connections << "\n"
      << "max_client_conn = 5000\n"
      // libpq sends `options` (the statement timeout) at connect; pgbouncer cannot pass it
      // on to a shared server connection, and enforces its own query_timeout instead.
      << "ignore_startup_parameters = options,extra_float_digits\n"
      << "query_timeout = 5\n"
      // The lab makes the role and database once the server is up, maybe after
      // pgbouncer's first try: retry a failed server login soon, not after 15 s.
      << "server_login_retry = 1\n"
      << "log_connections = 0\nlog_disconnections = 0\n";
  if (!out) throw std::runtime_error("cannot write " + ini.string());
}

std::string postgres_url(std::uint16_t port) {
  return "postgresql://scalelab@127.0.0.1:" + std::to_string(port) + "/postgres";
}

bool wait_ready(std::uint16_t port, std::chrono::milliseconds timeout) {
  return net::wait_for_port("127.0.0.1", port, timeout);
}

}  // namespace scalelab::services
