// The one way scalelab talks to Redis: one connection, multiplexed. Every thread's (and
// every fiber's, on an event loop) commands go down the same socket, pipelined; replies come back in order and each
// caller gets its own. Redis runs commands one at a time anyway, so a pool of
// connections buys no parallelism, only more system calls on both ends: with one
// connection, callers that arrive while a round trip is in flight are written in one
// go and read in one go (StackExchange.Redis and ioredis's auto-pipelining work so).
//
// How: the caller that finds the socket free becomes its driver. It writes everything
// queued, reads, and hands replies out until its own are in; then it wakes the next
// caller still owed replies, which drives on. No thread of our own, and no caller
// waits longer than its own round trip plus the batch ahead of it. Every wait (the
// socket, another caller's round trip, another caller's connect) goes through
// common/waits.hpp, so on an event loop it parks a fiber and the loop serves on; hiredis
// only formats commands and parses replies, on a non-blocking socket.
//
// Failure rules. A context that saw any error is dead for good (hiredis 0.14 cannot
// reset one), so a new one is made instead:
//  - the connect (TCP, then AUTH and SELECT when configured) is bounded by the connect
//    timeout, and made without the lock: the other callers wait for it;
//  - every read and write is bounded by the command timeout; a timeout, a reset or a
//    protocol error fails every caller still owed a reply (the stream's order is lost
//    with it) and drops the connection; the next call opens a new one;
//  - an idle connection whose socket shows EOF (Redis restarted) is replaced before
//    use, so a restart costs no failed call;
//  - failed connects back off exponentially (reconnect_backoff.hpp), failing fast
//    meanwhile.
// Every failure surfaces as StoreUnavailable (transport, timeout, LOADING) or StoreError
// (an error reply), carrying backend "redis" and the cause.
//
// Or, with `connection_per_call`, the way a serverless function talks to Redis when
// nothing outlives an invocation: each call opens a connection of its own, runs its
// commands and closes it (no multiplexing, no backoff: every call is a first call).
// The lab uses it to show what connection churn costs; connections_opened() counts.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/waits.hpp"
#include "store/errors.hpp"
#include "store/reconnect_backoff.hpp"

namespace scalelab::store {

struct RedisConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string unix_socket;  // when set, a Unix domain socket instead of host and port
  std::string password;
  int db = 0;
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{1000};
  bool connection_per_call = false;  // a connection per call, closed after it (see above)
};

// Parses redis://[:password@]host[:port][/db] or unix://[:password@]/path[?db=N].
// Throws std::invalid_argument with a message naming the problem.
RedisConfig parse_redis_url(std::string_view url);

// A reply, or one element of an array reply; elements share ownership of the root.
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* root);  // takes ownership

  bool is_nil() const { return node_ == nullptr || node_->type == REDIS_REPLY_NIL; }
  bool is_error() const { return node_ != nullptr && node_->type == REDIS_REPLY_ERROR; }
  bool is_string() const;  // bulk string or status
  bool is_integer() const { return node_ != nullptr && node_->type == REDIS_REPLY_INTEGER; }
  bool is_array() const { return node_ != nullptr && node_->type == REDIS_REPLY_ARRAY; }
  std::string str() const;  // the string, status or error text
  std::string_view view() const;  // the same without a copy; valid while the reply lives
  long long integer() const;  // throws StoreError if not an integer (or a numeric string)
  std::size_t size() const { return is_array() ? node_->elements : 0; }
  RedisReply operator[](std::size_t i) const;

 private:
  RedisReply(std::shared_ptr<redisReply> root, const redisReply* node) : root_(std::move(root)), node_(node) {}
  std::shared_ptr<redisReply> root_;
  const redisReply* node_ = nullptr;
};

// A Lua script, sent by EVALSHA with a fallback to EVAL when Redis lost it (restart).
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

using RedisCommand = std::vector<std::string>;

class RedisClient {
 public:
  explicit RedisClient(RedisConfig config);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connections open now: 0 or 1 (per call: those of the calls running).
  std::size_t open_connections();
  // Connections opened since the client was made (a reconnect, or every call per call).
  std::uint64_t connections_opened() const { return connections_opened_.load(std::memory_order_relaxed); }

  // One command. Error replies throw StoreError (StoreUnavailable for LOADING/BUSY).
  RedisReply command(const RedisCommand& args);
  RedisReply command(std::initializer_list<std::string_view> args);

  // Several commands in one round trip (pipelined), back to back on the connection, so
  // MULTI ... EXEC within one call is a transaction (across calls it would not be).
  // Replies in order; the first error reply throws as command() does.
  std::vector<RedisReply> pipeline(const std::vector<RedisCommand>& commands);

  // EVALSHA, falling back to EVAL on NOSCRIPT.
  // Keys and arguments are views: the strings must outlive the call (temporaries in
  // the call's braces do).
  RedisReply eval(const RedisScript& script, std::initializer_list<std::string_view> keys,
                  std::initializer_list<std::string_view> args);

  // A script and then `reads`, pipelined in one round trip; replies in order, the
  // script's first. The reads must not depend on what the script writes: when Redis
  // has lost the script (NOSCRIPT, after a restart) it is sent again alone, as EVAL,
  // after the reads ran. The first error reply throws as command() does.
  std::vector<RedisReply> eval_then(const RedisScript& script, std::initializer_list<std::string_view> keys,
                                    std::initializer_list<std::string_view> args,
                                    const std::vector<RedisCommand>& reads);

  // PING; true when Redis answered PONG. Never throws.
  bool ping() noexcept;

  const RedisConfig& config() const { return config_; }
  std::string address() const {
    return config_.unix_socket.empty() ? config_.host + ":" + std::to_string(config_.port) : config_.unix_socket;
  }

 private:
  struct Connection;
  struct Batch;
  struct Waiter;
  std::unique_ptr<Connection> connect();
  void ensure_connection(std::unique_lock<std::mutex>& lock);  // entered and left with mu_ held
  std::vector<RedisReply> run(const Batch& batch);  // error replies included
  std::vector<RedisReply> run_on_own_connection(const Batch& batch);  // connection_per_call
  void drive(std::unique_lock<std::mutex>& lock, Waiter& me, std::vector<Waiter*>& wake);
  std::string exchange(Connection& conn, const std::string& out, std::vector<redisReply*>& got);
  template <class Args>
  RedisReply single(const Args& args);  // one command; an error reply throws

  RedisConfig config_;
  std::mutex mu_;
  std::unique_ptr<Connection> conn_;
  ReconnectBackoff backoff_;
  std::string outbox_;            // commands queued behind the ones on the wire
  std::string sending_;           // the driver's: the commands it is writing now
  std::deque<Waiter*> waiting_;   // callers owed replies, in the order of their commands
  bool driving_ = false;          // a caller is using the socket
  bool connecting_ = false;       // a caller is opening conn_, without mu_
  waits::Condition connected_;    // connecting_ turned false
  std::vector<std::unique_ptr<Waiter>> spare_waiters_;
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::size_t> per_call_open_{0};
};

}  // namespace scalelab::store
