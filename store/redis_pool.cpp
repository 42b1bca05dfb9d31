#include "store/redis_pool.hpp"

#include <poll.h>

#include <array>
#include <charconv>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/net.hpp"
#include "store/errors.hpp"

namespace scalelab::store {
namespace {

constexpr const char* kRedis = "redis";

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

bool transient_error_reply(const std::string& text) {
  return text.rfind("LOADING", 0) == 0 || text.rfind("BUSY", 0) == 0 || text.rfind("MASTERDOWN", 0) == 0 ||
         text.rfind("TRYAGAIN", 0) == 0;
}

void throw_if_error(const RedisReply& reply) {
  if (!reply.is_error()) return;
  const std::string text = reply.str();
  if (transient_error_reply(text)) throw StoreUnavailable(kRedis, text);
  throw StoreError(kRedis, text);
}

// An idle socket that is readable has either seen EOF (the server went away) or holds
// bytes nobody asked for; either way the context cannot be trusted.
bool looks_dead(const redisContext* ctx) {
  pollfd pfd{ctx->fd, POLLIN | POLLRDHUP, 0};
  return ::poll(&pfd, 1, 0) != 0;
}

}  // namespace

namespace {

void parse_db(std::string_view db, RedisConfig& config) {
  if (db.empty()) return;
  auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), config.db);
  if (ec != std::errc() || end != db.data() + db.size() || config.db < 0)
    throw std::invalid_argument("redis URL database must be a non-negative number (got '" + std::string(db) + "')");
}

// "[user]:password@" in front of `rest`, if any, goes to config.password.
std::string_view take_password(std::string_view rest, RedisConfig& config) {
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos) return rest;
  std::string_view userinfo = rest.substr(0, at);
  if (auto colon = userinfo.find(':'); colon != std::string_view::npos) userinfo = userinfo.substr(colon + 1);
  config.password = std::string(userinfo);
  return rest.substr(at + 1);
}

}  // namespace

RedisConfig parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://", unix_scheme = "unix://";
  RedisConfig config;
  if (url.substr(0, unix_scheme.size()) == unix_scheme) {
    std::string_view rest = take_password(url.substr(unix_scheme.size()), config);
    if (auto q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      rest = rest.substr(0, q);
      if (query.substr(0, 3) != "db=") throw std::invalid_argument("redis unix URL takes only ?db=N (got '?" + std::string(query) + "')");
      parse_db(query.substr(3), config);
    }
    if (rest.empty() || rest.front() != '/')
      throw std::invalid_argument("redis unix URL needs an absolute socket path: unix:///path/redis.sock (got '" +
                                  std::string(url) + "')");
    config.unix_socket = std::string(rest);
    return config;
  }
  if (url.substr(0, scheme.size()) != scheme)
    throw std::invalid_argument("redis URL must start with redis:// or unix:// (got '" + std::string(url) + "')");
  std::string_view rest = take_password(url.substr(scheme.size()), config);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    parse_db(rest.substr(slash + 1), config);
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) throw std::invalid_argument("redis URL has no host");
  if (rest.find(':') == std::string_view::npos) {
    config.host = std::string(rest);
  } else {
    auto hp = net::parse_host_port(rest);
    if (!hp) throw std::invalid_argument("redis URL has a bad host:port ('" + std::string(rest) + "')");
    config.host = hp->host;
    config.port = hp->port;
  }
  return config;
}

RedisReply::RedisReply(redisReply* root)
    : root_(root, [](redisReply* r) { freeReplyObject(r); }), node_(root) {}

bool RedisReply::is_string() const {
  return node_ != nullptr && (node_->type == REDIS_REPLY_STRING || node_->type == REDIS_REPLY_STATUS);
}

std::string RedisReply::str() const {
  if (node_ == nullptr) return {};
  if (node_->type == REDIS_REPLY_INTEGER) return std::to_string(node_->integer);
  if (node_->str == nullptr) return {};
  return std::string(node_->str, node_->len);
}

std::string_view RedisReply::view() const {
  if (node_ == nullptr || node_->str == nullptr || node_->type == REDIS_REPLY_INTEGER) return {};
  return {node_->str, node_->len};
}

long long RedisReply::integer() const {
  if (is_integer()) return node_->integer;
  if (is_string()) {
    long long value = 0;
    auto [end, ec] = std::from_chars(node_->str, node_->str + node_->len, value);
    if (ec == std::errc() && end == node_->str + node_->len) return value;
  }
  throw StoreError(kRedis, "expected an integer reply, got '" + str() + "'");
}

RedisReply RedisReply::operator[](std::size_t i) const {
  if (!is_array() || i >= node_->elements) return RedisReply(root_, nullptr);
  return RedisReply(root_, node_->element[i]);
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(crypto::sha1_hex(source_)) {}

struct RedisPool::Connection {
  redisContext* ctx;
  explicit Connection(redisContext* c) : ctx(c) {}
  ~Connection() { redisFree(ctx); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

RedisPool::RedisPool(RedisConfig config) : config_(std::move(config)) {
  if (config_.pool_size == 0) throw std::invalid_argument("redis pool size must be at least 1");
  pool_ = std::make_unique<BoundedPool<Connection>>(
      BoundedPool<Connection>::Options{kRedis, address(), config_.pool_size, config_.checkout_timeout,
                                       config_.backoff_min, config_.backoff_max},
      [this] { return connect(); }, [](Connection& c) { return c.ctx->err == 0 && !looks_dead(c.ctx); });
}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisPool::Connection> RedisPool::connect() {
  const timeval connect_timeout = to_timeval(config_.connect_timeout);
  redisContext* raw = config_.unix_socket.empty()
                          ? redisConnectWithTimeout(config_.host.c_str(), config_.port, connect_timeout)
                          : redisConnectUnixWithTimeout(config_.unix_socket.c_str(), connect_timeout);
  if (raw == nullptr) throw StoreUnavailable(kRedis, "connect to " + address() + ": out of memory");
  auto conn = std::make_unique<Connection>(raw);
  redisContext* ctx = conn->ctx;
  auto fail = [&](const std::string& what) {
    throw StoreUnavailable(kRedis, what + " " + address() + ": " + (ctx->errstr[0] ? ctx->errstr : "failed"));
  };
  if (ctx->err != 0) fail("connect to");
  if (redisSetTimeout(ctx, to_timeval(config_.command_timeout)) != REDIS_OK) fail("set timeout on");
  auto setup = [&](std::initializer_list<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (reply == nullptr) fail("set up connection to");
    throw_if_error(RedisReply(reply));
  };
  if (!config_.password.empty()) setup({"AUTH", config_.password});
  if (config_.db != 0) setup({"SELECT", std::to_string(config_.db)});
  return conn;
}

// Commands for one round trip, as views of strings their caller keeps alive: every
// argument in order, and how many belong to each command. Flat, so a pipeline costs
// a handful of allocations however many commands and arguments it has.
struct RedisPool::Batch {
  std::vector<std::string_view> args;
  std::vector<std::size_t> argc;

  template <class Range>
  void add(const Range& command) {
    std::size_t n = 0;
    for (const auto& a : command) {
      args.emplace_back(a);
      ++n;
    }
    argc.push_back(n);
  }
};

std::vector<RedisReply> RedisPool::run(const Batch& batch) {
  auto lease = pool_->acquire();
  redisContext* ctx = lease->ctx;
  auto fail = [&](const std::string& what) {
    lease.discard();
    throw StoreUnavailable(kRedis, what + ": " + (ctx->errstr[0] ? ctx->errstr : "connection lost"));
  };
  // hiredis wants arrays of pointers and lengths; small batches (all of the hot ones)
  // build them on the stack.
  constexpr std::size_t kOnStack = 32;
  std::array<const char*, kOnStack> argv_stack;
  std::array<std::size_t, kOnStack> lens_stack;
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> lens_heap;
  const char** argv = argv_stack.data();
  std::size_t* lens = lens_stack.data();
  if (batch.args.size() > kOnStack) {
    argv_heap.resize(batch.args.size());
    lens_heap.resize(batch.args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (std::size_t i = 0; i < batch.args.size(); ++i) {
    argv[i] = batch.args[i].data();
    lens[i] = batch.args[i].size();
  }
  std::size_t first = 0;
  for (const std::size_t n : batch.argc) {
    if (redisAppendCommandArgv(ctx, static_cast<int>(n), argv + first, lens + first) != REDIS_OK) fail("send");
    first += n;
  }
  std::vector<RedisReply> replies;
  replies.reserve(batch.argc.size());
  for (std::size_t i = 0; i < batch.argc.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) fail("read reply");
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

template <class Args>
RedisReply RedisPool::single(const Args& args) {
  Batch batch;
  batch.add(args);
  auto replies = run(batch);
  throw_if_error(replies.front());
  return std::move(replies.front());
}

RedisReply RedisPool::command(const RedisCommand& args) { return single(args); }

RedisReply RedisPool::command(std::initializer_list<std::string_view> args) { return single(args); }

std::vector<RedisReply> RedisPool::pipeline(const std::vector<RedisCommand>& commands) {
  Batch batch;
  for (const auto& c : commands) batch.add(c);
  auto replies = run(batch);
  for (const auto& r : replies) throw_if_error(r);
  return replies;
}

RedisReply RedisPool::eval(const RedisScript& script, std::initializer_list<std::string_view> keys,
                           std::initializer_list<std::string_view> args) {
  return std::move(eval_then(script, keys, args, {}).front());
}

std::vector<RedisReply> RedisPool::eval_then(const RedisScript& script, std::initializer_list<std::string_view> keys,
                                             std::initializer_list<std::string_view> args,
                                             const std::vector<RedisCommand>& reads) {
  const std::string numkeys = std::to_string(keys.size());
  auto script_call = [&](std::string_view verb, std::string_view body, std::size_t room) {
    Batch batch;
    batch.args.reserve(3 + keys.size() + args.size() + room);
    batch.argc.reserve(1 + reads.size());
    batch.args.insert(batch.args.end(), {verb, body, numkeys});
    batch.args.insert(batch.args.end(), keys.begin(), keys.end());
    batch.args.insert(batch.args.end(), args.begin(), args.end());
    batch.argc.push_back(batch.args.size());
    return batch;
  };
  std::size_t read_args = 0;
  for (const auto& r : reads) read_args += r.size();
  Batch batch = script_call("EVALSHA", script.sha1(), read_args);
  for (const auto& r : reads) batch.add(r);
  auto replies = run(batch);
  if (replies.front().is_error() && replies.front().str().rfind("NOSCRIPT", 0) == 0)
    replies.front() = std::move(run(script_call("EVAL", script.source(), 0)).front());
  for (const auto& r : replies) throw_if_error(r);
  return replies;
}

bool RedisPool::ping() noexcept {
  try {
    return command({"PING"}).str() == "PONG";
  } catch (...) {
    return false;
  }
}

}  // namespace scalelab::store
