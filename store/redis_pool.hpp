// The one way scalelab talks to Redis: hiredis contexts behind a BoundedPool (see
// bounded_pool.hpp for checkout, backoff and dead-connection rules). Redis specifics,
// from NOTES.md on hiredis 0.14:
//  - a redisContext is not thread-safe, so each call leases one exclusively;
//  - redisConnectWithTimeout bounds only the connect, so every new context also gets
//    redisSetTimeout for commands; a context that saw any error is dead and is freed;
//  - an idle context whose socket shows EOF (Redis restarted) is dropped before use.
// Every failure surfaces as StoreUnavailable (transport, timeout, LOADING) or StoreError
// (an error reply), carrying backend "redis" and the cause.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/bounded_pool.hpp"

namespace scalelab::store {

struct RedisConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string unix_socket;  // when set, a Unix domain socket instead of host and port
  std::string password;
  int db = 0;
  std::size_t pool_size = 8;
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds checkout_timeout{1000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{1000};
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

class RedisPool {
 public:
  explicit RedisPool(RedisConfig config);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  // Connections open now (idle or in use).
  std::size_t open_connections() { return pool_->open(); }
  RedisPool& operator=(const RedisPool&) = delete;

  // One command. Error replies throw StoreError (StoreUnavailable for LOADING/BUSY).
  RedisReply command(const RedisCommand& args);
  RedisReply command(std::initializer_list<std::string_view> args);

  // Several commands in one round trip (pipelined). Replies in order; the first error
  // reply throws as command() does.
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
  std::unique_ptr<Connection> connect();
  std::vector<RedisReply> run(const Batch& batch);  // error replies included
  template <class Args>
  RedisReply single(const Args& args);  // one command; an error reply throws

  RedisConfig config_;
  std::unique_ptr<BoundedPool<Connection>> pool_;
};

}  // namespace scalelab::store
