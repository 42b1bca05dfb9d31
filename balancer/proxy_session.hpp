// The proxy proper: one client connection, from accept to close, as one coroutine.
// It reads requests (keep-alive, one at a time), rejects bad input with the right 4xx,
// picks a backend, borrows an upstream connection, streams the request and the
// response through, retries what may be retried, and writes one access-log line per
// request. Timeouts come from a Deadline per phase (see deadline_scanner.hpp):
//   idle keep-alive       --idle-timeout-ms      close silently
//   request header        --header-timeout-ms    408, close (counted from the first byte)
//   request body / write  --client-timeout-ms    408 or close
//   upstream connect      --connect-timeout-ms   next backend
//   upstream response     --response-timeout-ms  504
//   response header, GET  --try-timeout-ms       next backend (off unless set; retry_policy.hpp)
#pragma once

#include "common/asio.hpp"

namespace scalelab::balancer {

class Worker;

// Serves `socket` until it closes. The socket must belong to `worker`'s io_context.
boost::asio::awaitable<void> run_proxy_session(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace scalelab::balancer
