// The waits of waits.hpp: poll(2), sleeps and condition variables on a thread; Asio's
// reactor and timers, and a parked fiber, on a fiber.
#include "common/waits.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "common/fiber_loop.hpp"

namespace scalelab::waits {

// One park of one fiber. Whatever can end the wait (the descriptor, the timer, a
// notify, a finished job) claims the ticket first; only the one that claims it resumes
// the fiber, so a fiber is never resumed twice for one park, nor after it moved on.
struct Ticket {
  explicit Ticket(fiber::Fiber* f) : fiber(f) {}
  fiber::Fiber* fiber;
  std::atomic<bool> claimed{false};
  short revents = 0;
  bool timed_out = false;

  bool claim() { return !claimed.exchange(true); }
};

namespace {

using boost::asio::error::operation_aborted;

// Wakes a claimed ticket's fiber from any thread: on its own loop, later.
void resume_later(const std::shared_ptr<Ticket>& ticket) {
  boost::asio::post(ticket->fiber->loop().io(), [ticket] { ticket->fiber->wake(); });
}

// A timer handler that ends the park when `deadline` comes first.
auto on_deadline(const std::shared_ptr<Ticket>& ticket) {
  return [ticket](const boost::system::error_code& ec) {
    if (ec == operation_aborted || !ticket->claim()) return;
    ticket->timed_out = true;
    ticket->fiber->wake();
  };
}

int poll_once(int fd, short events, std::chrono::microseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, events, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count())));
    if (r > 0) return pfd.revents;
    if (r == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

// Threads for calls that can only block, shared by every loop of the process. Never
// destroyed: a job may still be running when the process exits.
class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i) std::thread([this] { serve(); }).detach();
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  void serve() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !jobs_.empty(); });
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
};

// As many as the S3 client's default pool of connections, the one user today.
constexpr std::size_t kBlockingThreads = 8;

}  // namespace

bool on_fiber() { return fiber::current() != nullptr; }

// Out of line and opaque to the optimiser, so every call asks the thread it runs on.
__attribute__((noinline, noipa)) int last_errno() { return errno; }

namespace {

// errno's setter, for the same reason: after a wait, the thread the fiber runs on now.
__attribute__((noinline, noipa)) void set_last_errno(int error) { errno = error; }

// Parks the current fiber until `descriptor` (registered with its loop) is ready for
// `events` or `timeout` passes; wait_fd's result. Waits still queued on the descriptor
// when the park ends (the timer won, or one of two events came) are cancelled, so a
// descriptor that stays registered holds none for a park that is over.
int park_on(fiber::Fiber* self, boost::asio::posix::stream_descriptor& descriptor, short events,
            std::chrono::microseconds timeout) {
  auto ticket = std::make_shared<Ticket>(self);
  auto on_ready = [ticket](short event) {
    return [ticket, event](const boost::system::error_code& error) {
      if (error == operation_aborted || !ticket->claim()) return;
      ticket->revents = event;  // an error shows as readiness: the next read or write meets it
      ticket->fiber->wake();
    };
  };
  if (events & POLLIN) descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read, on_ready(POLLIN));
  if (events & POLLOUT) descriptor.async_wait(boost::asio::posix::descriptor_base::wait_write, on_ready(POLLOUT));
  boost::asio::steady_timer timer(self->loop().io(), timeout);
  timer.async_wait(on_deadline(ticket));
  self->park();
  timer.cancel();
  if (ticket->timed_out || (events & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT)) {
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
  }
  return ticket->timed_out ? 0 : ticket->revents;
}

// One read of a parked fiber, done by the loop's reactor. The buffer is the fiber's,
// so the fiber may not go on before the read is over: the read's handler is the only
// one that wakes it, always, and a timeout only cancels the read (which ends it with
// operation_aborted, or with the bytes it had already got). The lock makes a timeout's
// cancel finish before the read's handler can wake the fiber: once awake, the fiber
// may destroy the descriptor.
struct ReadPark {
  explicit ReadPark(fiber::Fiber* f) : fiber(f) {}
  fiber::Fiber* fiber;
  std::mutex mu;
  bool done = false;
  bool timed_out = false;
  boost::system::error_code error;
  std::size_t bytes = 0;
};

ssize_t read_on(fiber::Fiber* self, boost::asio::posix::stream_descriptor& descriptor, void* buf, std::size_t size,
                std::chrono::microseconds timeout) {
  auto park = std::make_shared<ReadPark>(self);
  descriptor.async_read_some(boost::asio::buffer(buf, size),
                             [park](const boost::system::error_code& error, std::size_t bytes) {
                               {
                                 std::lock_guard lock(park->mu);
                                 park->done = true;
                                 park->error = error;
                                 park->bytes = bytes;
                               }
                               park->fiber->wake();
                             });
  boost::asio::steady_timer timer(self->loop().io(), timeout);
  timer.async_wait([park, &descriptor](const boost::system::error_code& error) {
    if (error == operation_aborted) return;
    std::lock_guard lock(park->mu);
    if (park->done) return;  // the fiber may be gone on with its descriptor: touch nothing
    park->timed_out = true;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
  });
  self->park();
  timer.cancel();
  std::lock_guard lock(park->mu);
  if (!park->error) return static_cast<ssize_t>(park->bytes);
  if (park->error == boost::asio::error::eof) return 0;
  set_last_errno(park->error == operation_aborted ? (park->timed_out ? ETIMEDOUT : ECANCELED) : park->error.value());
  return -1;
}

}  // namespace

int wait_fd(int fd, short events, std::chrono::microseconds timeout) {
  fiber::Fiber* self = fiber::current();
  if (self == nullptr || timeout.count() <= 0) return poll_once(fd, events, std::max(timeout, std::chrono::microseconds(0)));
  boost::asio::posix::stream_descriptor descriptor(self->loop().io());
  boost::system::error_code ec;
  descriptor.assign(fd, ec);
  if (ec) {
    errno = ec.value();
    return -1;
  }
  // Asio leaves the descriptor in non-blocking mode; it is handed back, never closed.
  struct Release {
    boost::asio::posix::stream_descriptor& descriptor;
    ~Release() { descriptor.release(); }
  } release{descriptor};
  return park_on(self, descriptor, events, timeout);
}

// A descriptor registered with one loop's reactor. If the loop ends first, it
// releases the descriptor itself (EventLoop::Lifetime) and this is left empty.
struct Watch::Registration {
  Registration(fiber::EventLoop& l, int fd) : lifetime(l.lifetime()) {
    descriptor.emplace(l.io());
    boost::system::error_code ec;
    descriptor->assign(fd, ec);
    if (ec) throw boost::system::system_error(ec);
    std::lock_guard lock(lifetime->mu);
    lifetime->on_end[this] = [this] { end(); };
  }
  ~Registration() {
    std::lock_guard lock(lifetime->mu);
    if (!lifetime->alive) return;
    lifetime->on_end.erase(this);
    end();
  }
  void end() {
    if (!descriptor) return;
    descriptor->release();
    descriptor.reset();
  }
  bool ended() const {
    std::lock_guard lock(lifetime->mu);
    return !lifetime->alive;
  }
  std::shared_ptr<fiber::EventLoop::Lifetime> lifetime;
  std::optional<boost::asio::posix::stream_descriptor> descriptor;
};

Watch::Watch(int fd) : fd_(fd) {}

Watch::~Watch() { release(); }

void Watch::release() { registration_.reset(); }

Watch::Registration* Watch::registration_on(fiber::Fiber* self) {
  errno = 0;
  if (registration_ && registration_->lifetime != self->loop().lifetime()) {
    if (!registration_->ended()) return nullptr;  // registered with another loop
    registration_.reset();
  }
  if (!registration_) {
    try {
      registration_ = std::make_unique<Registration>(self->loop(), fd_);
    } catch (const boost::system::system_error& e) {
      errno = e.code().value();
      return nullptr;
    }
  }
  return registration_.get();
}

int Watch::wait(short events, std::chrono::microseconds timeout, Known known) {
  fiber::Fiber* self = fiber::current();
  if (self == nullptr || timeout.count() <= 0) return poll_once(fd_, events, std::max(timeout, std::chrono::microseconds(0)));
  // Readiness is asked first, without waiting: under load the bytes are mostly there
  // already, and a poll(2) is cheaper than a trip through the loop. (Correctness does
  // not rest on it: the registration is edge-triggered, but Asio re-arms it, an
  // EPOLL_CTL_MOD, whenever a wait starts on a descriptor with none queued, so bytes
  // whose edge came while nobody waited still end the wait.)
  if (known == Known::unknown)
    if (const int ready = poll_once(fd_, events, std::chrono::microseconds(0)); ready != 0) return ready;
  Registration* registration = registration_on(self);
  if (registration == nullptr) return errno != 0 ? -1 : wait_fd(fd_, events, timeout);
  return park_on(self, *registration->descriptor, events, timeout);
}

ssize_t Watch::read(void* buf, std::size_t size, std::chrono::microseconds timeout, Known known) {
  fiber::Fiber* self = fiber::current();
  Registration* registration = nullptr;
  if (self != nullptr && timeout.count() > 0) {
    registration = registration_on(self);
    if (registration == nullptr && errno != 0) return -1;
  }
  if (registration == nullptr) {
    // A thread (or a fiber whose descriptor another loop holds): recv, and wait when
    // there was nothing; with `known` not_ready, wait first.
    bool wait_first = known == Known::not_ready;
    for (;;) {
      if (wait_first) {
        const int ready = wait(POLLIN, timeout, Known::not_ready);
        if (ready == 0) set_last_errno(ETIMEDOUT);
        if (ready <= 0) return -1;
      }
      const ssize_t n = ::recv(fd_, buf, size, MSG_DONTWAIT);
      if (n >= 0) return n;
      const int error = last_errno();
      if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR) return -1;
      wait_first = true;
    }
  }
  return read_on(self, *registration->descriptor, buf, size, timeout);
}

void sleep_for(std::chrono::nanoseconds duration) {
  fiber::Fiber* self = fiber::current();
  if (self == nullptr) {
    std::this_thread::sleep_for(duration);
    return;
  }
  if (duration.count() <= 0) return;
  auto ticket = std::make_shared<Ticket>(self);
  boost::asio::steady_timer timer(self->loop().io(), duration);
  timer.async_wait(on_deadline(ticket));
  self->park();
}

void Condition::wait(std::unique_lock<std::mutex>& lock) {
  if (!on_fiber()) {
    threads_.wait(lock);
    return;
  }
  park(lock, std::nullopt);
}

std::cv_status Condition::wait_until(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline) {
  if (!on_fiber()) return threads_.wait_until(lock, deadline);
  return park(lock, deadline);
}

std::cv_status Condition::park(std::unique_lock<std::mutex>& lock,
                               std::optional<std::chrono::steady_clock::time_point> deadline) {
  fiber::Fiber* self = fiber::current();
  auto ticket = std::make_shared<Ticket>(self);
  {
    std::lock_guard guard(parked_mu_);
    parked_.push_back(ticket);
  }
  std::optional<boost::asio::steady_timer> timer;
  if (deadline) {
    timer.emplace(self->loop().io(), *deadline);
    timer->async_wait(on_deadline(ticket));
  }
  // A notify between this unlock and the park cannot be lost: its wake is posted to
  // this fiber's loop, and a wake that comes before the fiber has parked (another
  // thread of the loop) lets it run on once parked (Fiber::wake).
  lock.unlock();
  self->park();
  if (timer) timer->cancel();
  if (ticket->timed_out) {
    std::lock_guard guard(parked_mu_);
    parked_.erase(std::remove(parked_.begin(), parked_.end(), ticket), parked_.end());
  }
  lock.lock();
  return ticket->timed_out ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void Condition::notify_one() {
  {
    std::lock_guard guard(parked_mu_);
    while (!parked_.empty()) {
      std::shared_ptr<Ticket> ticket = std::move(parked_.front());
      parked_.pop_front();
      if (ticket->claim()) {  // not one whose deadline just came
        resume_later(ticket);
        break;
      }
    }
  }
  threads_.notify_one();
}

void Condition::notify_all() {
  {
    std::lock_guard guard(parked_mu_);
    for (const auto& ticket : parked_)
      if (ticket->claim()) resume_later(ticket);
    parked_.clear();
  }
  threads_.notify_all();
}

namespace detail {

void offload(const std::function<void()>& job) {
  static auto* pool = new BlockingPool(kBlockingThreads);
  fiber::Fiber* self = fiber::current();
  auto ticket = std::make_shared<Ticket>(self);
  std::exception_ptr error;
  pool->submit([&job, &error, ticket] {
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    if (ticket->claim()) resume_later(ticket);  // the last touch of the fiber's stack
  });
  self->park();
  if (error) std::rethrow_exception(error);
}

std::size_t new_local_key() {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1);
}

void* fiber_local(std::size_t key, void* (*make)(), void (*destroy)(void*)) {
  return fiber::current()->local(key, make, destroy);
}

}  // namespace detail
}  // namespace scalelab::waits
