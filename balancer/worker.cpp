// One event loop per thread; see worker.hpp.
#include "balancer/worker.hpp"

#include "balancer/proxy_session.hpp"
#include "balancer/socket_io.hpp"
#include "common/log.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;

void Shared::note_panic(bool now_panicking) {
  if (panic.load(std::memory_order_relaxed) == now_panicking) return;
  if (panic.exchange(now_panicking) == now_panicking) return;
  if (now_panicking)
    log::warn("panic mode: no backend is eligible, routing to every active backend");
  else
    log::info("panic mode over: eligible backends are back");
}

int pool_share(int cap, int threads, int index) { return cap / threads + (index < cap % threads ? 1 : 0); }

namespace {
// With one loop, every socket, timer and acceptor is touched by its one thread, so the
// reactor's per-descriptor locks are pure overhead; the scheduler keeps its lock for
// the resolver's and the signal handler's cross-thread posts. With several loops the
// accepting thread registers sockets in the other loops' reactors, so locks stay.
int concurrency_hint(int threads) { return threads == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO : 1; }
}  // namespace

Worker::Worker(Shared& s, int index)
    : io_(concurrency_hint(s.settings.threads)),
      shared(s),
      scanner(io_.get_executor()),
      writes(io_),
      pool(io_.get_executor(), pool_share(s.settings.max_conns_per_backend, s.settings.threads, index),
           s.settings.ms(s.settings.upstream_idle_timeout_ms)),
      picker(s.settings.algorithm, s.settings.ms(s.settings.slow_start_ms)),
      access_log("balancer", s.settings.instance, s.settings.access_log),
      housekeeping_timer_(io_.get_executor()) {}

void Worker::start() {
  scanner.start();
  asio::co_spawn(io_, housekeeping(), asio::detached);
}

void Worker::spawn_session(asio::ip::tcp::socket socket) {
  asio::co_spawn(io_, run_proxy_session(*this, std::move(socket)), asio::detached);
}

const std::shared_ptr<const BackendList>& Worker::backends() {
  const auto v = shared.registry.version();
  if (v != version_) {
    snapshot_ = shared.registry.snapshot();
    version_ = v;
  }
  return snapshot_;
}

bool Worker::has_backend_to_try() {
  // A new backend is `unknown` until its first check, which follows within about 50 ms
  // (health_checker.hpp); waiting for it keeps a request off an instance not yet
  // seen answering. Once checked, even a failing backend ends the wait: the picker's
  // panic mode then decides, as it would have without the wait.
  const auto now = Backend::Clock::now();
  for (const auto& b : *backends())
    if (b->active() && (b->eligible(now) || b->health_snapshot(now).check_state != CheckState::unknown)) return true;
  return false;
}

asio::awaitable<bool> Worker::wait_for_backend(std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(io_);
  timer.expires_at(deadline);
  backend_waiters_.push_back(&timer);
  if (backend_waiters_.size() == 1) asio::co_spawn(io_, watch_for_backend(), asio::detached);
  co_await io::wait(timer);
  std::erase(backend_waiters_, &timer);
  co_return !shared.stopping.load(std::memory_order_relaxed) && has_backend_to_try();
}

asio::awaitable<void> Worker::watch_for_backend() {
  // Ends when the last waiter has gone (each erases itself once woken).
  asio::steady_timer tick(io_);
  while (!backend_waiters_.empty()) {
    if (has_backend_to_try() || shared.stopping.load(std::memory_order_relaxed))
      for (auto* waiter : backend_waiters_) waiter->cancel();
    tick.expires_after(std::chrono::milliseconds(10));
    co_await io::wait(tick);
  }
}

void Worker::begin_shutdown() {
  // on_shutdown may unlink the session it closes; walk a copy of the pointers.
  std::vector<SessionHook*> all;
  for (auto& s : sessions) all.push_back(&s);
  for (auto* s : all) s->on_shutdown();
}

void Worker::force_close_sessions() {
  std::vector<SessionHook*> all;
  for (auto& s : sessions) all.push_back(&s);
  for (auto* s : all) s->force_close();
}

void Worker::stop_tasks() {
  tasks_stopped_ = true;
  scanner.stop();
  housekeeping_timer_.cancel();
  pool.close_idle();
  access_log.flush();
}

asio::awaitable<void> Worker::housekeeping() {
  // Every 100 ms: flush the access log; every 500 ms: expire idle upstream connections
  // and forget backends that left.
  int tick = 0;
  while (!tasks_stopped_) {
    housekeeping_timer_.expires_after(std::chrono::milliseconds(100));
    co_await io::wait(housekeeping_timer_);
    if (tasks_stopped_) break;
    access_log.flush();
    if (++tick % 5 == 0) pool.sweep();
  }
}

}  // namespace scalelab::balancer
