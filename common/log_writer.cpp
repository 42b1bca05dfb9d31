#include "common/log_writer.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace scalelab::log {
namespace {

// How long the writer lets lines gather once the first of a batch has come: one
// write(2) for a few milliseconds of lines, where a write and a wake-up of the writer
// per line would cost a busy server more than writing the line itself did. A line
// reaches the reader at most this much later; a flush, a buffer half full, a drop or
// the end does not wait for it.
constexpr auto kGather = std::chrono::milliseconds(5);

// Writes all of `bytes` unless the descriptor fails; a failed log write must never
// take the process down, so the rest is given up.
void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The longest run of whole lines at the start of `lines` that fits in `room` bytes.
std::string_view whole_lines_within(std::string_view lines, std::size_t room) {
  if (lines.size() <= room) return lines;
  if (room == 0) return {};
  const std::size_t last = lines.rfind('\n', room - 1);
  return last == std::string_view::npos ? std::string_view() : lines.substr(0, last + 1);
}

}  // namespace

BackgroundLineWriter::BackgroundLineWriter(int fd, std::size_t max_pending_bytes, DropReport report)
    : fd_(fd), max_pending_(max_pending_bytes), report_(std::move(report)) {
  // The writer's thread takes no signal: servers wait for SIGTERM on a thread of their
  // choosing (sigwait), and a thread that left it unblocked would take its default
  // action, ending the process without a drain. A new thread inherits its maker's mask.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

BackgroundLineWriter::~BackgroundLineWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void BackgroundLineWriter::append(std::string_view lines) {
  std::unique_lock lock(mu_);
  const bool was_idle = pending_.empty() && dropped_unreported_ == 0;
  const bool was_below_half = pending_.size() < max_pending_ / 2;
  // After a drop, every line is dropped until the writer takes what is pending: so the
  // dropped lines are all behind the pending ones, and the report can stand in for them.
  const std::string_view kept =
      dropped_unreported_ > 0 ? std::string_view() : whole_lines_within(lines, max_pending_ - pending_.size());
  pending_.append(kept);
  const std::string_view rest = lines.substr(kept.size());
  const auto dropped = static_cast<std::uint64_t>(std::count(rest.begin(), rest.end(), '\n'));
  dropped_ += dropped;
  dropped_unreported_ += dropped;
  // The writer is woken for the first line of a batch, and again when the batch should
  // not wait out its gathering; never for every line.
  const bool wake = was_idle || (was_below_half && pending_.size() >= max_pending_ / 2) ||
                    (dropped > 0 && dropped_unreported_ == dropped);
  lock.unlock();
  if (wake) work_.notify_one();
}

bool BackgroundLineWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  ++flushing_;
  work_.notify_one();
  const bool written =
      idle_.wait_for(lock, timeout, [&] { return pending_.empty() && dropped_unreported_ == 0 && !writing_; });
  --flushing_;
  return written;
}

std::uint64_t BackgroundLineWriter::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void BackgroundLineWriter::run() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return !pending_.empty() || dropped_unreported_ > 0 || stopping_; });
    if (pending_.empty() && dropped_unreported_ == 0) return;  // stopping, and all written
    work_.wait_for(lock, kGather, [&] {
      return stopping_ || flushing_ > 0 || dropped_unreported_ > 0 || pending_.size() >= max_pending_ / 2;
    });
    // Every line dropped came after every line pending (append), so the report goes
    // after them.
    batch.swap(pending_);
    const std::uint64_t dropped = std::exchange(dropped_unreported_, 0);
    writing_ = true;
    lock.unlock();
    if (dropped > 0) batch += report_(dropped);
    write_all(fd_, batch);
    batch.clear();
    lock.lock();
    writing_ = false;
    if (pending_.empty() && dropped_unreported_ == 0) idle_.notify_all();
  }
}

}  // namespace scalelab::log
