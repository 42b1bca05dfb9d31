// The fibers and loops of fiber_loop.hpp, on Boost.Context's fibers.
#include "common/fiber_loop.hpp"

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <cstdio>
#include <exception>

namespace scalelab::fiber {
namespace ctx = boost::context;

namespace {
thread_local Fiber* running = nullptr;
}

Fiber* current() { return running; }

struct Fiber::Impl {
  ctx::fiber self;       // the fiber's own context while it is parked or not yet started
  ctx::fiber loop_side;  // where park() and the end of the body return to
  std::function<void()> body;
  bool ended = false;
};

Fiber::Fiber(EventLoop& loop, std::function<void()> body) : loop_(loop), impl_(std::make_unique<Impl>()) {
  impl_->body = std::move(body);
  impl_->self = ctx::fiber(std::allocator_arg, ctx::protected_fixedsize_stack(kStackBytes),
                           [impl = impl_.get()](ctx::fiber&& back) {
                             impl->loop_side = std::move(back);
                             try {
                               impl->body();
                             } catch (const ctx::detail::forced_unwind&) {
                               throw;  // the loop is unwinding a parked fiber: let it
                             } catch (const std::exception& e) {
                               std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"fiber ended by an exception\",\"error\":\"%s\"}\n", e.what());
                             } catch (...) {
                               std::fputs("{\"level\":\"error\",\"msg\":\"fiber ended by an exception\"}\n", stderr);
                             }
                             impl->body = nullptr;  // what it captured (a connection's socket) goes now, on this stack
                             impl->ended = true;
                             return std::move(impl->loop_side);
                           });
}

Fiber::~Fiber() {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
    if (it->value != nullptr) it->destroy(it->value);
}

void Fiber::park() { impl_->loop_side = std::move(impl_->loop_side).resume(); }

void Fiber::resume() {
  Fiber* outer = running;
  running = this;
  impl_->self = std::move(impl_->self).resume();
  running = outer;
  if (impl_->ended) loop_.ended(this);
}

void* Fiber::local(std::size_t key, void* (*make)(), void (*destroy)(void*)) {
  if (locals_.size() <= key) locals_.resize(key + 1, Local{nullptr, nullptr});
  Local& slot = locals_[key];
  if (slot.value == nullptr) slot = Local{make(), destroy};
  return slot.value;
}

EventLoop::EventLoop() : work_(boost::asio::make_work_guard(io_)) {}

EventLoop::~EventLoop() {
  stop();
  std::lock_guard lock(lifetime_->mu);
  lifetime_->alive = false;
  for (auto& [owner, end] : lifetime_->on_end) end();
  lifetime_->on_end.clear();
}

void EventLoop::start() {
  thread_ = std::thread([this] { io_.run(); });
}

void EventLoop::spawn(std::function<void()> body) {
  live_.fetch_add(1);
  boost::asio::post(io_, [this, body = std::move(body)]() mutable {
    Fiber* fiber = nullptr;
    try {
      fiber = new Fiber(*this, body);
    } catch (const std::exception& e) {
      // No stack to be had (the address space or the map count ran out). The body runs
      // here instead, so what it owns (a connection's socket) is neither dropped nor
      // leaked; its waits block this loop until it ends, as when a thread cannot be made.
      std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"no fiber stack: serving on the loop itself\",\"error\":\"%s\"}\n", e.what());
      try {
        body();
      } catch (...) {
      }
      live_.fetch_sub(1);
      return;
    }
    fiber->resume();
  });
}

void EventLoop::ended(Fiber* fiber) {
  delete fiber;
  live_.fetch_sub(1);
}

void EventLoop::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace scalelab::fiber
