// ServerOptions say what a scalelab-faultproxy process is asked to run: its proxies,
// each given as one --proxy NAME=LISTEN,UPSTREAM word (the supervisor spells them so
// for the lab's redis and s3 links), and the address of its control API. main.cpp
// fills them from flags and environment; the parser and the checks here throw
// one-line messages that name the bad part, so a wrong word fails at start-up.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "common/net.hpp"

namespace scalelab::faultproxy {

struct ProxyDefinition {
  std::string name;     // e.g. "redis"; a valid toxic-style name
  net::HostPort listen;
  net::HostPort upstream;
  // "NAME=LISTEN_HOST:PORT,UPSTREAM_HOST:PORT"
  std::string str() const { return name + "=" + listen.str() + "," + upstream.str(); }
};

// Parses "NAME=LISTEN_HOST:PORT,UPSTREAM_HOST:PORT". Throws std::invalid_argument
// with a one-line message naming the bad part.
ProxyDefinition parse_proxy_definition(const std::string& text);

struct ServerOptions {
  std::vector<ProxyDefinition> proxies;  // at least one, distinct names and listen ports
  net::HostPort api{"127.0.0.1", 8474};  // loopback only
};

// Checks names and ports are distinct and the API is on loopback. Throws
// std::invalid_argument.
void validate(const ServerOptions& options);

}  // namespace scalelab::faultproxy
