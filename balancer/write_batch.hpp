// WriteBatch holds back the proxy's sends and issues them together at the end of each
// turn of the event loop. On loopback a send that finds its receiver asleep in
// epoll_wait wakes it, and the sender pays for that wakeup inside sendmsg (an
// inter-processor interrupt when the receiver runs on the other core). Writing each
// message the moment it was ready spread the sends across the whole turn, so wrk and
// the backends were woken again for almost every message: 0.13 context switches per
// request in the backends' nginx, against 0.04 behind HAProxy, which receives and
// processes everything ready before it sends. Here a write is queued and its coroutine
// suspended; once the handlers of the current turn have run, one posted flush issues
// every queued write back to back (one wakeup then serves many messages), and only then
// resumes the writers.
//
// One WriteBatch per event loop; single-threaded. A write that the socket does not take
// whole (its send buffer is full) finishes with a wait for writability.
#pragma once

#include <vector>

#include "balancer/socket_io.hpp"

namespace scalelab::balancer {

class WriteBatch {
 public:
  explicit WriteBatch(boost::asio::io_context& io) : io_(io) {}
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // Writes all of `buffers` (a gather list, consumed) to `s` with this turn's batch.
  // The awaitable completes once every byte is written, or with the error that stopped
  // it in `ec`. The socket, the list, its memory and `ec` must outlive the await. Not a
  // coroutine: the write costs no frame beyond Asio's operation.
  boost::asio::awaitable<void> write(io::tcp::socket& s, std::vector<boost::asio::const_buffer>& buffers,
                                     io::error_code& ec);

 private:
  // What a suspended writer waits with: invoking it resumes the coroutine.
  using Resume = boost::asio::async_result<boost::asio::use_awaitable_t<>, void()>::handler_type;
  struct Queued {
    io::tcp::socket* socket;
    std::vector<boost::asio::const_buffer>* buffers;
    io::error_code* ec;
    Resume resume;
  };

  void enqueue(Queued q);
  void flush();
  // The socket did not take everything: wait until it can, write on, then resume.
  static void finish_later(Queued q);

  boost::asio::io_context& io_;
  std::vector<Queued> queue_;    // this turn's writes
  std::vector<Queued> running_;  // the batch being flushed
  bool posted_ = false;          // a flush is queued on the loop
};

}  // namespace scalelab::balancer
