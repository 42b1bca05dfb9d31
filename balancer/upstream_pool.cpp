// Per-event-loop upstream connection pool; see upstream_pool.hpp.
#include "balancer/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;

UpstreamPool::UpstreamPool(asio::any_io_executor executor, int cap_per_backend, std::chrono::milliseconds idle_timeout)
    : executor_(std::move(executor)), cap_(cap_per_backend), idle_timeout_(idle_timeout) {}

UpstreamPool::~UpstreamPool() { close_idle(); }

UpstreamPool::Entry& UpstreamPool::entry(const std::shared_ptr<Backend>& backend) {
  auto [it, inserted] = entries_.try_emplace(backend.get());
  if (inserted) it->second.backend = backend;
  return it->second;
}

namespace {
void count_close(const Backend& b, Release why) {
  if (auto* m = b.metrics()) m->count_connection_closed(why);
}
}  // namespace

Release UpstreamPool::probe_idle(UpstreamConnection& conn) {
  // An idle keep-alive connection the backend closed (timeout, max requests, crash)
  // reads EOF, and must not carry a request that could then fail after being sent.
  // Bytes mean the backend wrote past its last response: they would be read as the
  // answer to the next request, which belongs to another client. It costs a system
  // call per reuse; HAProxy and nginx watch their idle connections for the same reason.
  char byte;
  const ssize_t n = ::recv(conn.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Release::keep;
  return n > 0 ? Release::idle_data : Release::idle_eof;
}

void UpstreamPool::close_conn(Entry& e, std::unique_ptr<UpstreamConnection> conn, Release why) {
  boost::system::error_code ignored;
  conn->socket.close(ignored);
  count_close(*e.backend, why);
  --e.open;
  e.backend->open_connections.fetch_sub(1, std::memory_order_relaxed);
}

UpstreamPool::Lease UpstreamPool::try_acquire(const std::shared_ptr<Backend>& backend) {
  Entry& e = entry(backend);
  while (!e.idle.empty()) {
    auto conn = std::move(e.idle.back());
    e.idle.pop_back();
    backend->idle_connections.fetch_sub(1, std::memory_order_relaxed);
    const Release state = probe_idle(*conn);
    if (state == Release::keep) return Lease{std::move(conn), true};
    close_conn(e, std::move(conn), state);
  }
  if (e.open < cap_) {
    ++e.open;
    backend->open_connections.fetch_add(1, std::memory_order_relaxed);
    return Lease{std::make_unique<UpstreamConnection>(executor_, backend), false};
  }
  return Lease{};
}

asio::awaitable<UpstreamPool::Lease> UpstreamPool::wait_for_slot(std::shared_ptr<Backend> backend,
                                                                 std::chrono::milliseconds queue_timeout) {
  if (queue_timeout.count() <= 0) co_return Lease{};
  Entry& e = entry(backend);

  // At the cap: wait in line. release() hands over a connection or a slot and cancels
  // the timer; a timer that simply expires means we waited too long.
  Waiter waiter(executor_);
  waiter.timer.expires_after(queue_timeout);
  e.waiters.push_back(&waiter);
  backend->queue_depth.fetch_add(1, std::memory_order_relaxed);
  co_await io::wait(waiter.timer);
  backend->queue_depth.fetch_sub(1, std::memory_order_relaxed);
  if (!waiter.granted) {
    // `e` is still valid: sweep() never drops an entry that has waiters.
    std::erase(e.waiters, &waiter);
    co_return Lease{};
  }
  if (waiter.handoff) {
    const Release state = probe_idle(*waiter.handoff);
    if (state == Release::keep) co_return Lease{std::move(waiter.handoff), true};
    boost::system::error_code ignored;
    waiter.handoff->socket.close(ignored);
    count_close(*backend, state);
    // Its slot stays ours: open a fresh connection in its place.
  }
  co_return Lease{std::make_unique<UpstreamConnection>(executor_, backend), false};
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn, Release how) {
  if (!conn) return;
  auto it = entries_.find(conn->backend.get());
  if (it == entries_.end()) return;  // cannot happen: entries with open slots are kept
  Entry& e = it->second;
  if (how == Release::keep && !e.backend->active()) how = Release::draining;
  if (how == Release::keep && !conn->socket.is_open()) how = Release::failed;
  if (how == Release::keep) {
    ++conn->uses;
    if (!e.waiters.empty()) {
      Waiter* w = e.waiters.front();
      e.waiters.pop_front();
      w->granted = true;
      w->handoff = std::move(conn);
      w->timer.cancel();
      return;
    }
    conn->idle_since = std::chrono::steady_clock::now();
    e.idle.push_back(std::move(conn));
    e.backend->idle_connections.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  boost::system::error_code ignored;
  conn->socket.close(ignored);
  count_close(*e.backend, how);
  if (!e.waiters.empty()) {
    // The slot passes to the next in line, who opens a new connection.
    Waiter* w = e.waiters.front();
    e.waiters.pop_front();
    w->granted = true;
    w->timer.cancel();
    return;
  }
  --e.open;
  e.backend->open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void UpstreamPool::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    const bool draining = !e.backend->active();
    std::erase_if(e.idle, [&](std::unique_ptr<UpstreamConnection>& c) {
      if (!draining && now - c->idle_since < idle_timeout_) return false;
      e.backend->idle_connections.fetch_sub(1, std::memory_order_relaxed);
      close_conn(e, std::move(c), draining ? Release::draining : Release::idle_timeout);
      return true;
    });
    if (draining && e.open == 0 && e.waiters.empty())
      it = entries_.erase(it);
    else
      ++it;
  }
}

void UpstreamPool::close_idle() {
  for (auto& [key, e] : entries_) {
    for (auto& c : e.idle) {
      e.backend->idle_connections.fetch_sub(1, std::memory_order_relaxed);
      close_conn(e, std::move(c), Release::shutdown);
    }
    e.idle.clear();
  }
}

}  // namespace scalelab::balancer
