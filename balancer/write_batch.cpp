// Sends clustered per turn of the event loop; see write_batch.hpp.
#include "balancer/write_batch.hpp"

namespace scalelab::balancer {

namespace asio = boost::asio;

asio::awaitable<void> WriteBatch::write(io::tcp::socket& s, std::vector<asio::const_buffer>& buffers,
                                        io::error_code& ec) {
  auto initiation = [this, &s, &buffers, &ec](Resume resume) {
    enqueue(Queued{&s, &buffers, &ec, std::move(resume)});
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void()>(std::move(initiation), asio::use_awaitable);
}

void WriteBatch::enqueue(Queued q) {
  queue_.push_back(std::move(q));
  if (posted_) return;
  posted_ = true;
  // A post lands behind every completion already queued for this turn, so the flush
  // runs once they have all had their chance to queue a write.
  asio::post(io_, [this] { flush(); });
}

void WriteBatch::flush() {
  posted_ = false;
  // Writers resumed below queue their next writes for the next flush, not this one.
  running_.swap(queue_);
  for (Queued& q : running_) *q.ec = io::write_now(*q.socket, *q.buffers);
  for (Queued& q : running_) {
    if (*q.ec == asio::error::would_block)
      finish_later(std::move(q));
    else
      q.resume();
  }
  running_.clear();
}

void WriteBatch::finish_later(Queued q) {
  io::tcp::socket& s = *q.socket;
  s.async_wait(io::tcp::socket::wait_write, [q = std::move(q)](const io::error_code& wait_ec) mutable {
    *q.ec = wait_ec ? wait_ec : io::write_now(*q.socket, *q.buffers);
    if (*q.ec == asio::error::would_block)
      finish_later(std::move(q));
    else
      q.resume();
  });
}

}  // namespace scalelab::balancer
