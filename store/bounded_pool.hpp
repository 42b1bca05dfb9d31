// A bounded pool of reusable connections, behind the S3 client and the database: an
// HTTP/1.1 connection carries one request at a time, so concurrent uploads need several,
// and a PostgreSQL connection one transaction. (Redis needs no pool: redis_client.hpp
// multiplexes one connection.) Its rules:
//  - at most `max_size` connections exist; a caller waits at most `checkout_timeout`
//    for one, then gets PoolExhausted (a StoreUnavailable) instead of queueing forever;
//  - an idle connection that `usable` rejects (its peer went away) is dropped before
//    use, so a restarted backend costs no failed request;
//  - so is one idle for longer than `max_idle`: a server closes a keep-alive connection
//    after its own idle timeout (Node's, behind s3rver, after 5 s), and a request sent
//    just as that close is under way fails with nothing to retry it (a streamed body
//    cannot be sent twice). Staying well under the server's timeout avoids that race;
//  - a caller marks a connection broken (discard) after any transport error, and it is
//    closed instead of returned;
//  - after a failed connect, new connects back off exponentially (reconnect_backoff.hpp),
//    failing fast in the meantime, so a dead backend costs microseconds per call.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/waits.hpp"
#include "store/errors.hpp"
#include "store/reconnect_backoff.hpp"

namespace scalelab::store {

template <class Conn>
class BoundedPool {
 public:
  struct Options {
    std::string backend;      // for errors: "redis", "s3"
    std::string address;      // for errors: host:port
    std::size_t max_size = 8;
    std::chrono::milliseconds checkout_timeout{1000};
    std::chrono::milliseconds backoff_min{50};
    std::chrono::milliseconds backoff_max{1000};
    std::chrono::milliseconds max_idle{0};  // 0: no limit
  };
  // `connect` opens a connection or throws StoreError/StoreUnavailable.
  using Connect = std::function<std::unique_ptr<Conn>()>;
  using Usable = std::function<bool(Conn&)>;

  BoundedPool(Options options, Connect connect, Usable usable)
      : options_(std::move(options)), connect_(std::move(connect)), usable_(std::move(usable)) {}

  class Lease {
   public:
    Lease(BoundedPool& pool, std::unique_ptr<Conn> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr && conn_) pool_->checkin(std::move(conn_), healthy_);
    }
    Conn& operator*() const { return *conn_; }
    Conn* operator->() const { return conn_.get(); }
    // The connection saw an error: close it instead of reusing it.
    void discard() { healthy_ = false; }

   private:
    BoundedPool* pool_;
    std::unique_ptr<Conn> conn_;
    bool healthy_ = true;
  };

  Lease acquire() {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + options_.checkout_timeout;
    while (true) {
      drop_expired(lock);
      while (!idle_.empty()) {
        std::unique_ptr<Conn> conn = std::move(idle_.back().conn);
        idle_.pop_back();
        // The probe is a system call: made without the lock, so the threads of a busy
        // instance do not queue (and sleep) behind it.
        lock.unlock();
        const bool usable = usable_(*conn);
        if (usable) return Lease(*this, std::move(conn));
        conn.reset();
        lock.lock();
        --open_;
      }
      if (open_ < options_.max_size) break;
      ++waiting_;
      const bool timed_out = available_.wait_until(lock, deadline) == std::cv_status::timeout;
      --waiting_;
      if (timed_out && idle_.empty() && open_ >= options_.max_size)
        throw PoolExhausted(options_.backend, "no free connection to " + options_.address + " within " +
                                                     std::to_string(options_.checkout_timeout.count()) +
                                                     " ms (pool of " + std::to_string(options_.max_size) + ")");
    }
    backoff_.throw_if_in_force(options_.backend, options_.address);
    ++open_;
    lock.unlock();
    try {
      std::unique_ptr<Conn> conn = connect_();
      std::lock_guard relock(mu_);
      backoff_.connected();
      return Lease(*this, std::move(conn));
    } catch (const StoreError& e) {
      std::lock_guard relock(mu_);
      --open_;
      backoff_.failed(e.cause());
      available_.notify_one();
      throw;
    }
  }

  // Connections that exist now (idle, leased or being opened).
  std::size_t open() {
    std::lock_guard lock(mu_);
    return open_;
  }
  // Connections that exist and are not idle (leased or being opened).
  std::size_t in_use() {
    std::lock_guard lock(mu_);
    return open_ - idle_.size();
  }
  // Callers waiting for a connection to come free.
  std::size_t waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  void checkin(std::unique_ptr<Conn> conn, bool healthy) {
    {
      std::lock_guard lock(mu_);
      if (healthy)
        idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
      else
        --open_;
    }
    conn.reset();  // a broken connection is closed outside the lock
    available_.notify_one();  // after unlocking, so the waiter it wakes can take the lock
  }

  // Closes the connections idle for longer than max_idle; the oldest are at the front,
  // since the newest is reused first. Closes them without the lock, like checkin.
  void drop_expired(std::unique_lock<std::mutex>& lock) {
    if (options_.max_idle.count() <= 0) return;
    const auto cutoff = std::chrono::steady_clock::now() - options_.max_idle;
    std::size_t expired = 0;
    while (expired < idle_.size() && idle_[expired].since < cutoff) ++expired;
    if (expired == 0) return;
    std::vector<Idle> closing(std::make_move_iterator(idle_.begin()),
                              std::make_move_iterator(idle_.begin() + static_cast<std::ptrdiff_t>(expired)));
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
    open_ -= expired;
    lock.unlock();
    closing.clear();
    lock.lock();
    available_.notify_all();  // room to connect for whoever waits
  }

  struct Idle {
    std::unique_ptr<Conn> conn;
    std::chrono::steady_clock::time_point since;  // when it was checked in
  };

  Options options_;
  Connect connect_;
  Usable usable_;
  std::mutex mu_;
  waits::Condition available_;  // parks a fiber, blocks a thread
  std::vector<Idle> idle_;  // oldest first
  std::size_t open_ = 0;
  std::size_t waiting_ = 0;
  ReconnectBackoff backoff_{options_.backoff_min, options_.backoff_max};
};

}  // namespace scalelab::store
