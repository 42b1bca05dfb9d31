// A C++ client for a running fault proxy's HTTP API. The supervisor, the `scalelab
// fault` command and the tests all drive the proxy through it, so none of them
// hand-builds URLs or parses error bodies.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace scalelab::faultproxy {

// A failed call. status() is the HTTP status, or 0 when the proxy could not be reached;
// error() is the API's machine-readable code ("invalid_toxic", "not_found", ...,
// "unreachable"); what() is "<error>: <detail>".
class ClientError : public std::runtime_error {
 public:
  ClientError(int status, std::string error, const std::string& detail)
      : std::runtime_error(error + ": " + detail), status_(status), error_(std::move(error)), detail_(detail) {}
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  const std::string& detail() const { return detail_; }

 private:
  int status_;
  std::string error_;
  std::string detail_;
};

class Client {
 public:
  Client(const std::string& host, std::uint16_t port,
         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Adds a toxic on `proxy`; `toxic` is a body as parse_toxic_spec/toxic_from_args
  // make. Returns the toxic as stored (defaults filled in). Throws ClientError.
  nlohmann::json add_toxic(const std::string& proxy, const nlohmann::json& toxic);
  // Removes one toxic. Throws ClientError (404 when there is none by that name).
  void remove_toxic(const std::string& proxy, const std::string& name);
  // Removes every toxic of `proxy`.
  void clear(const std::string& proxy);
  // Removes every toxic of every proxy.
  void reset();
  // {NAME: {"name","listen","upstream","listening","toxics","stats"}, ...}
  nlohmann::json proxies();
  // [toxic, ...] of one proxy.
  nlohmann::json toxics(const std::string& proxy);
  // True when GET /healthz answers 200; never throws.
  bool healthy();

 private:
  nlohmann::json call(const std::string& method, const std::string& path, const std::string& body = "");

  std::unique_ptr<httplib::Client> http_;
};

}  // namespace scalelab::faultproxy
