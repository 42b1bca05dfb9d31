// The fibers and loops of fiber_loop.hpp, on Boost.Context's fibers.
#include "common/fiber_loop.hpp"

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <cxxabi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace scalelab::fiber {
namespace ctx = boost::context;

namespace {
thread_local Fiber* running = nullptr;

// AddressSanitizer keeps the bounds of the stack it believes is running. A switch
// between a loop's stack and a fiber's is invisible to it unless announced, and an
// exception thrown on a fiber then has it unpoison (and report) the wrong stack. These
// announce each switch in an ASan build and compile to nothing otherwise.
void start_switch(void** fake_stack, const void* bottom, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

void finish_switch(void* fake_stack, const void** bottom_old, std::size_t* size_old) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, bottom_old, size_old);
#else
  (void)fake_stack, (void)bottom_old, (void)size_old;
#endif
}

// The C++ runtime's exception-handling state of the running thread, laid out as the
// Itanium C++ ABI (section 2.2.2) defines it: the exceptions being handled (in catch
// blocks, innermost first) and how many are thrown and not yet caught. It belongs to
// whatever runs on the thread, so each fiber carries its own and swaps it in while it
// runs. Without that, a fiber that waits inside a catch block would end another
// fiber's exception when it leaves the block, or, woken on another thread, that
// thread's.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
EhGlobals& eh_globals() { return *reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals()); }

// A fiber's hand-over between the thread that parks it and the one that wakes it.
enum FiberState : std::uint8_t {
  kRunning,  // on a thread (or about to be), including while it parks
  kParked,   // switched out: the next wake runs it
  kWoken,    // woken before it finished parking: its thread runs it on
};

}  // namespace

Fiber* current() { return running; }

struct Fiber::Impl {
  ctx::fiber self;       // the fiber's own context while it is parked or not yet started
  ctx::fiber loop_side;  // where park() and the end of the body return to
  std::function<void()> body;
  bool ended = false;
  // For the sanitizer's switch announcements: both stacks' bounds, and the fiber's
  // fake stack while it is parked.
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  const void* loop_bottom = nullptr;
  std::size_t loop_size = 0;
  void* parked_fake_stack = nullptr;
  EhGlobals eh{nullptr, 0};  // the fiber's exception state while it is switched out
  std::atomic<std::uint8_t> state{kRunning};
};

namespace {

// The guarded stack of fiber_loop.hpp, noting where it lies for the announcements.
struct NotedStack {
  ctx::protected_fixedsize_stack inner;
  const void** bottom;
  std::size_t* size;
  ctx::stack_context allocate() {
    ctx::stack_context sc = inner.allocate();
    *bottom = static_cast<char*>(sc.sp) - sc.size;
    *size = sc.size;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept { inner.deallocate(sc); }
};

}  // namespace

Fiber::Fiber(EventLoop& loop, std::function<void()> body) : loop_(loop), impl_(std::make_unique<Impl>()) {
  impl_->body = std::move(body);
  impl_->self = ctx::fiber(std::allocator_arg, NotedStack{ctx::protected_fixedsize_stack(kStackBytes), &impl_->stack_bottom, &impl_->stack_size},
                           [impl = impl_.get()](ctx::fiber&& back) {
                             finish_switch(nullptr, &impl->loop_bottom, &impl->loop_size);
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
                             start_switch(nullptr, impl->loop_bottom, impl->loop_size);  // this stack is done
                             return std::move(impl->loop_side);
                           });
}

Fiber::~Fiber() {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
    if (it->value != nullptr) it->destroy(it->value);
}

void Fiber::park() {
  start_switch(&impl_->parked_fake_stack, impl_->loop_bottom, impl_->loop_size);
  impl_->loop_side = std::move(impl_->loop_side).resume();
  finish_switch(impl_->parked_fake_stack, &impl_->loop_bottom, &impl_->loop_size);
}

void Fiber::resume() {
  for (;;) {
    Fiber* outer = running;
    running = this;
    EhGlobals& eh = eh_globals();  // this thread's; the loop side never changes thread
    const EhGlobals loop_eh = eh;
    eh = impl_->eh;
    void* loop_fake_stack = nullptr;
    start_switch(&loop_fake_stack, impl_->stack_bottom, impl_->stack_size);
    impl_->self = std::move(impl_->self).resume();
    finish_switch(loop_fake_stack, nullptr, nullptr);
    impl_->eh = eh;
    eh = loop_eh;
    running = outer;
    if (impl_->ended) {
      loop_.ended(this);
      return;
    }
    // Parked from here on: a wake on another thread may run it at once, so nothing
    // below touches it. A wake that came while it was still parking left it kWoken.
    std::uint8_t expected = kRunning;
    if (impl_->state.compare_exchange_strong(expected, kParked, std::memory_order_acq_rel)) return;
    impl_->state.store(kRunning, std::memory_order_relaxed);
  }
}

void Fiber::wake() {
  std::uint8_t seen = impl_->state.load(std::memory_order_acquire);
  for (;;) {
    const std::uint8_t next = seen == kParked ? kRunning : kWoken;
    if (impl_->state.compare_exchange_weak(seen, next, std::memory_order_acq_rel)) {
      if (next == kRunning) resume();
      return;
    }
  }
}

void* Fiber::local(std::size_t key, void* (*make)(), void (*destroy)(void*)) {
  if (locals_.size() <= key) locals_.resize(key + 1, Local{nullptr, nullptr});
  Local& slot = locals_[key];
  if (slot.value == nullptr) slot = Local{make(), destroy};
  return slot.value;
}

EventLoop::EventLoop(std::size_t threads)
    : thread_count_(std::max<std::size_t>(1, threads)),
      io_(static_cast<int>(thread_count_)),  // a hint of 1 lets Asio skip work for one thread
      work_(boost::asio::make_work_guard(io_)) {}

EventLoop::~EventLoop() {
  stop();
  std::lock_guard lock(lifetime_->mu);
  lifetime_->alive = false;
  for (auto& [owner, end] : lifetime_->on_end) end();
  lifetime_->on_end.clear();
}

void EventLoop::start() {
  for (std::size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { io_.run(); });
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
  for (std::thread& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

}  // namespace scalelab::fiber
