#include "store/redis_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <array>
#include <charconv>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/net.hpp"
#include "common/waits.hpp"
#include "store/errors.hpp"

namespace scalelab::store {
namespace {

constexpr const char* kRedis = "redis";

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

struct RedisClient::Connection {
  redisContext* ctx;
  // The socket's readiness for every round trip on it: on an event loop, registered
  // with the loop once rather than per wait.
  waits::Watch watch;
  explicit Connection(redisContext* c) : ctx(c), watch(c->fd) {}
  ~Connection() {
    watch.release();  // before redisFree closes the socket
    redisFree(ctx);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

// One caller's commands in flight: how many replies it is owed and what came back.
// Owned by the client and reused, not by the caller's stack: a driver wakes waiters
// after letting go of the lock (so the one it wakes does not run straight into the
// lock it holds), and by then the waiter may have returned. A late wake-up of a reused
// waiter is harmless: every wait re-checks under the lock.
struct RedisClient::Waiter {
  std::size_t owed = 0;
  std::vector<RedisReply> replies;
  std::string error;  // the connection failed before every reply came
  bool done = false;
  waits::Condition wake;  // done, or the connection needs a new driver
};

RedisClient::RedisClient(RedisConfig config)
    : config_(std::move(config)), backoff_(config_.backoff_min, config_.backoff_max) {}

RedisClient::~RedisClient() = default;

std::size_t RedisClient::open_connections() {
  std::lock_guard lock(mu_);
  return (conn_ ? 1 : 0) + per_call_open_.load(std::memory_order_relaxed);
}

// Commands for one round trip, as views of strings their caller keeps alive: every
// argument in order, and how many belong to each command. Flat, so a pipeline costs
// a handful of allocations however many commands and arguments it has.
struct RedisClient::Batch {
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

namespace {

// The most the driver's send buffer keeps between round trips.
constexpr std::size_t kKeptSendBytes = 64 * 1024;

// Appends the batch, in Redis's wire format, to `wire` (behind other callers' commands).
void encode_into(std::string& wire, const std::vector<std::string_view>& args, const std::vector<std::size_t>& argc) {
  // hiredis wants arrays of pointers and lengths; small batches (all of the hot ones)
  // build them on the stack.
  constexpr std::size_t kOnStack = 32;
  std::array<const char*, kOnStack> argv_stack;
  std::array<std::size_t, kOnStack> lens_stack;
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> lens_heap;
  const char** argv = argv_stack.data();
  std::size_t* lens = lens_stack.data();
  if (args.size() > kOnStack) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  std::size_t first = 0;
  for (const std::size_t n : argc) {
    // The sds variant writes lengths with hiredis's own integer formatter; the plain one
    // runs sprintf for each argument (encoding a /api/me's commands: 8.3k instructions
    // with it, 6.3k with this, bench/app/callgrind.sh).
    sds command = nullptr;
    const int len = redisFormatSdsCommandArgv(&command, static_cast<int>(n), argv + first, lens + first);
    if (len < 0) throw StoreError(kRedis, "cannot encode a command (out of memory)");
    wire.append(command, static_cast<std::size_t>(len));
    redisFreeSdsCommand(command);
    first += n;
  }
}

std::string encode(const std::vector<std::string_view>& args, const std::vector<std::size_t>& argc) {
  std::string wire;
  encode_into(wire, args, argc);
  return wire;
}

std::string errno_text(const char* what, int err, std::chrono::milliseconds timeout) {
  if (err == EAGAIN || err == EWOULDBLOCK)
    return std::string(what) + ": no answer within " + std::to_string(timeout.count()) + " ms";
  return std::string(what) + ": " + std::strerror(err);
}

}  // namespace

// Writes `out`, then reads until at least one reply is complete (more, when they came
// together). Returns "" or what broke the connection. Only the driver calls it, so
// the context is never used by two threads at once.
std::string RedisClient::exchange(Connection& conn, const std::string& out, std::vector<redisReply*>& got) {
  redisContext* ctx = conn.ctx;
  // Nothing blocks in the kernel: the calls do not wait, and one that finds the socket
  // not ready waits through waits.hpp (on an event loop, parking the fiber, not the thread).
  const auto timeout = config_.command_timeout;
  // A wait for replies right after a send, or after a read that drained the socket,
  // skips the watch's poll: they cannot be there yet. When this call sent nothing, or
  // the last read filled the buffer, they may be.
  using Known = waits::Watch::Known;
  // The waits and reads report their error as a value: errno is read once, on the
  // thread the fiber runs on after the wait (waits::last_errno()).
  auto wait = [&](short events, Known known = Known::not_ready) {
    const int ready = conn.watch.wait(events, timeout, known);
    if (ready > 0) return 0;
    const int error = ready == 0 ? EAGAIN : waits::last_errno();
    return error != 0 ? error : EIO;
  };
  auto failure = [](ssize_t n) { return n < 0 ? waits::last_errno() : 0; };
  auto not_ready = [](int error) { return error == EINTR || error == EAGAIN || error == EWOULDBLOCK; };
  for (std::size_t sent = 0; sent < out.size();) {
    const ssize_t n = ::send(ctx->fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (const int error = failure(n); not_ready(error)) {
      if (const int waited = wait(POLLOUT); waited != 0) return errno_text("send", waited, timeout);
      continue;
    } else if (error != 0) {
      return errno_text("send", error, timeout);
    }
    sent += static_cast<std::size_t>(n);
  }
  std::array<char, 16 * 1024> buffer;
  Known replies = out.empty() ? Known::unknown : Known::not_ready;
  while (true) {
    void* reply = nullptr;
    if (redisReaderGetReply(ctx->reader, &reply) != REDIS_OK)
      return std::string("read reply: ") + redisReaderGetError(ctx->reader);
    if (reply != nullptr) {
      got.push_back(static_cast<redisReply*>(reply));
      continue;
    }
    if (!got.empty()) return {};
    const ssize_t n = conn.watch.read(buffer.data(), buffer.size(), timeout, replies);
    replies = n == static_cast<ssize_t>(buffer.size()) ? Known::unknown : Known::not_ready;
    if (const int error = failure(n); error == ETIMEDOUT) return errno_text("read reply", EAGAIN, timeout);
    else if (not_ready(error)) continue;
    else if (error != 0) return errno_text("read reply", error, timeout);
    if (n == 0) return "read reply: connection closed by " + address();
    if (redisReaderFeed(ctx->reader, buffer.data(), static_cast<std::size_t>(n)) != REDIS_OK)
      return std::string("read reply: ") + redisReaderGetError(ctx->reader);
  }
}

// Connects without blocking the thread (on an event loop, the loop): the TCP handshake
// and the setup commands wait through waits.hpp, as every command does.
std::unique_ptr<RedisClient::Connection> RedisClient::connect() {
  redisContext* raw = config_.unix_socket.empty() ? redisConnectNonBlock(config_.host.c_str(), config_.port)
                                                  : redisConnectUnixNonBlock(config_.unix_socket.c_str());
  if (raw == nullptr) throw StoreUnavailable(kRedis, "connect to " + address() + ": out of memory");
  connections_opened_.fetch_add(1, std::memory_order_relaxed);
  auto conn = std::make_unique<Connection>(raw);
  redisContext* ctx = conn->ctx;
  if (ctx->err != 0)
    throw StoreUnavailable(kRedis, "connect to " + address() + ": " + (ctx->errstr[0] ? ctx->errstr : "failed"));
  const int ready = conn->watch.wait(POLLOUT, config_.connect_timeout);
  int error = 0;
  socklen_t len = sizeof error;
  if (ready == 0) error = ETIMEDOUT;
  else if (ready < 0 || ::getsockopt(ctx->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = waits::last_errno();
  if (error != 0) throw StoreUnavailable(kRedis, "connect to " + address() + ": " + std::strerror(error));
  auto setup = [&](std::initializer_list<std::string_view> args) {
    Batch batch;
    batch.add(args);
    std::vector<redisReply*> got;
    const std::string failure = exchange(*conn, encode(batch.args, batch.argc), got);
    std::vector<RedisReply> replies(got.begin(), got.end());
    if (!failure.empty()) throw StoreUnavailable(kRedis, "set up connection to " + address() + ": " + failure);
    throw_if_error(replies.front());
  };
  if (!config_.password.empty()) setup({"AUTH", config_.password});
  if (config_.db != 0) setup({"SELECT", std::to_string(config_.db)});
  return conn;
}

// Connecting waits (through waits.hpp) without mu_ held: a fiber that parked holding it
// would stall every other fiber of its loop at the lock. One caller connects; the
// others wait on `connected_`, and fail with it.
void RedisClient::ensure_connection(std::unique_lock<std::mutex>& lock) {
  while (connecting_) connected_.wait(lock);
  // An idle connection whose socket shows EOF (Redis restarted) is replaced before use,
  // so a restart costs no failed call.
  const bool idle = !driving_ && waiting_.empty();
  if (conn_ && !(idle && looks_dead(conn_->ctx))) return;
  backoff_.throw_if_in_force(kRedis, address());
  conn_.reset();
  connecting_ = true;
  lock.unlock();
  std::unique_ptr<Connection> fresh;
  std::exception_ptr error;
  try {
    fresh = connect();
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  connecting_ = false;
  connected_.notify_all();
  if (!error) {
    backoff_.connected();
    conn_ = std::move(fresh);
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const StoreError& e) {
    backoff_.failed(e.cause());
    throw;
  }
}

// Writes what callers queued, reads what came back and hands each caller its replies,
// until `me` has all of its own; leaves in `wake` the callers to wake once the lock is
// let go: the ones it served last, and the next caller still owed replies, which
// drives on. Entered and left with the lock held; the socket is used without it.
void RedisClient::drive(std::unique_lock<std::mutex>& lock, Waiter& me, std::vector<Waiter*>& wake) {
  driving_ = true;
  Connection& conn = *conn_;  // not replaced while driving_: ensure_connection leaves a busy one be
  std::vector<redisReply*> got;
  std::string error;
  while (true) {
    for (redisReply* raw : got) {
      if (waiting_.empty()) {  // a reply nobody asked for: the stream cannot be trusted
        freeReplyObject(raw);
        error = "read reply: a reply no command asked for";
        continue;
      }
      Waiter* w = waiting_.front();
      w->replies.emplace_back(raw);
      if (w->replies.size() < w->owed) continue;
      w->done = true;
      waiting_.pop_front();
      if (w != &me) wake.push_back(w);
    }
    if (!error.empty()) {
      // Every caller still owed a reply fails: the stream's order is lost with the socket.
      for (Waiter* w : waiting_) {
        w->error = error;
        w->done = true;
        if (w != &me) wake.push_back(w);
      }
      waiting_.clear();
      outbox_.clear();
      conn_.reset();
    }
    if (me.done) break;
    // The two buffers trade places, each keeping what it has grown to: a busy batch
    // (a few KiB) costs no allocation once they are large enough.
    sending_.clear();
    sending_.swap(outbox_);
    lock.unlock();
    for (Waiter* w : wake) w->wake.notify_one();
    wake.clear();
    got.clear();
    error = exchange(conn, sending_, got);
    // A rare large batch (a seeding pipeline) does not keep its memory for good.
    if (sending_.capacity() > kKeptSendBytes) sending_ = std::string();
    lock.lock();
  }
  driving_ = false;
  if (!waiting_.empty()) wake.push_back(waiting_.front());
}

std::vector<RedisReply> RedisClient::run_on_own_connection(const Batch& batch) {
  const std::string wire = encode(batch.args, batch.argc);
  per_call_open_.fetch_add(1, std::memory_order_relaxed);
  struct Closed {
    std::atomic<std::size_t>& open;
    ~Closed() { open.fetch_sub(1, std::memory_order_relaxed); }
  } closed{per_call_open_};
  const auto conn = connect();
  std::vector<RedisReply> replies;
  std::vector<redisReply*> got;
  for (bool first = true; replies.size() < batch.argc.size(); first = false) {
    got.clear();
    const std::string error = exchange(*conn, first ? wire : std::string(), got);
    for (redisReply* raw : got) replies.emplace_back(raw);
    if (!error.empty()) throw StoreUnavailable(kRedis, error);
  }
  if (replies.size() > batch.argc.size()) throw StoreUnavailable(kRedis, "read reply: a reply no command asked for");
  return replies;
}

std::vector<RedisReply> RedisClient::run(const Batch& batch) {
  if (config_.connection_per_call) return run_on_own_connection(batch);
  std::unique_lock lock(mu_);
  ensure_connection(lock);
  if (spare_waiters_.empty()) spare_waiters_.push_back(std::make_unique<Waiter>());
  std::unique_ptr<Waiter> waiter = std::move(spare_waiters_.back());
  spare_waiters_.pop_back();
  Waiter& me = *waiter;
  me.owed = batch.argc.size();
  me.done = false;
  // Formatted straight into the queue, under the lock: a fraction of a microsecond, and
  // no string of its own to allocate and copy.
  const std::size_t queued = outbox_.size();
  try {
    encode_into(outbox_, batch.args, batch.argc);
    waiting_.push_back(&me);
  } catch (...) {
    outbox_.resize(queued);  // neither half a command nor one that nobody waits for
    spare_waiters_.push_back(std::move(waiter));  // its old place: no allocation
    throw;
  }
  std::vector<Waiter*> wake;
  while (!me.done) {
    if (!driving_)
      drive(lock, me, wake);
    else
      me.wake.wait(lock);
  }
  std::vector<RedisReply> replies = std::move(me.replies);
  me.replies = {};
  const std::string error = std::move(me.error);
  me.error.clear();
  spare_waiters_.push_back(std::move(waiter));
  lock.unlock();
  for (Waiter* w : wake) w->wake.notify_one();
  if (!error.empty()) throw StoreUnavailable(kRedis, error);
  return replies;
}

template <class Args>
RedisReply RedisClient::single(const Args& args) {
  Batch batch;
  batch.add(args);
  auto replies = run(batch);
  throw_if_error(replies.front());
  return std::move(replies.front());
}

RedisReply RedisClient::command(const RedisCommand& args) { return single(args); }

RedisReply RedisClient::command(std::initializer_list<std::string_view> args) { return single(args); }

std::vector<RedisReply> RedisClient::pipeline(const std::vector<RedisCommand>& commands) {
  Batch batch;
  for (const auto& c : commands) batch.add(c);
  auto replies = run(batch);
  for (const auto& r : replies) throw_if_error(r);
  return replies;
}

RedisReply RedisClient::eval(const RedisScript& script, std::initializer_list<std::string_view> keys,
                           std::initializer_list<std::string_view> args) {
  return std::move(eval_then(script, keys, args, {}).front());
}

std::vector<RedisReply> RedisClient::eval_then(const RedisScript& script, std::initializer_list<std::string_view> keys,
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

bool RedisClient::ping() noexcept {
  try {
    return command({"PING"}).str() == "PONG";
  } catch (...) {
    return false;
  }
}

}  // namespace scalelab::store
