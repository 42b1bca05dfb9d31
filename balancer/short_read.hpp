// A socket read that tells Asio's reactor when it drained the socket. Asio 1.74
// starts every read with an attempt (a "speculative" recv) and stops attempting only
// after a read of zero bytes, so on a keep-alive connection each request costs a recv
// that finds nothing (EAGAIN) before the one that brings it: one extra system call on
// the client side and one upstream, about 3 us a request on this machine. HAProxy
// makes no such call: a read that returns less than it asked for means the socket is
// empty until the poller says otherwise.
//
// async_read_drained is Asio's async_read_some with that one rule added: a read that
// fills less than its buffer reports itself "done and exhausted" to the reactor, which
// then queues the next read without trying it and performs it at the next readiness
// event. The reactor re-enables attempts at every event, so nothing is missed. Later
// Asio releases judge exhaustion this way themselves.
//
// It reaches into Asio's internals (the epoll reactor and the socket's descriptor
// state), which Debian 12 pins at Boost 1.74; the build fails loudly elsewhere.
#pragma once

#include <boost/version.hpp>
#if BOOST_VERSION / 100 != 1074
#error "short_read.hpp relies on Boost 1.74's epoll reactor; check it against this release"
#endif

#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>

#include "common/asio.hpp"

namespace scalelab::balancer::io {

namespace short_read_detail {

namespace asio = boost::asio;
namespace ad = boost::asio::detail;

template <class Handler, class IoExecutor>
class Op : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(Op);

  Op(ad::socket_type fd, asio::mutable_buffer b, Handler& handler, const IoExecutor& io_ex)
      : reactor_op(boost::system::error_code(), &Op::do_perform, &Op::do_complete),
        fd_(fd),
        buffer_(b),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<Op*>(base);
    if (!ad::socket_ops::non_blocking_recv1(o->fd_, o->buffer_.data(), o->buffer_.size(), 0, true, o->ec_,
                                            o->bytes_transferred_))
      return not_done;  // nothing yet: wait for the next event
    // Short (or an error, or end of stream, which transfer nothing): the socket is
    // empty for now.
    return o->bytes_transferred_ < o->buffer_.size() ? done_and_exhausted : done;
  }

  static void do_complete(void* owner, ad::operation* base, const boost::system::error_code&, std::size_t) {
    auto* o = static_cast<Op*>(base);
    ptr p = {ad::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // Free the operation before the upcall; the handler moves out first, since a part
    // of it may own the memory.
    ad::binder2<Handler, boost::system::error_code, std::size_t> handler(o->handler_, o->ec_, o->bytes_transferred_);
    p.h = ad::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  ad::socket_type fd_;
  asio::mutable_buffer buffer_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// The socket's implementation is protected in basic_socket; a pointer to member taken
// through a derived class reaches it without copying the socket.
struct Internals : asio::ip::tcp::socket {
  static auto& of(asio::ip::tcp::socket& s) { return (s.*(&Internals::impl_)).get_implementation(); }
};

}  // namespace short_read_detail

// Reads at most buffer_size(b) bytes (b must not be empty), like
// socket.async_read_some(b, token), with the drained-socket rule above.
template <class Token>
auto async_read_drained(boost::asio::ip::tcp::socket& socket, boost::asio::mutable_buffer b, Token&& token) {
  namespace asio = boost::asio;
  namespace ad = boost::asio::detail;
  return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      [&socket, b](auto handler) {
        using Handler = decltype(handler);
        using IoExecutor = asio::ip::tcp::socket::executor_type;
        using Op = short_read_detail::Op<Handler, IoExecutor>;
        auto& impl = short_read_detail::Internals::of(socket);
        const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
        typename Op::ptr p = {ad::addressof(handler), Op::ptr::allocate(handler), 0};
        p.p = new (p.v) Op(impl.socket_, b, handler, socket.get_executor());
        auto& reactor = asio::use_service<ad::reactor>(asio::query(socket.get_executor(), asio::execution::context));
        // Reactor operations need a non-blocking descriptor, as in Asio's own start_op.
        if ((impl.state_ & ad::socket_ops::non_blocking) ||
            ad::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, p.p->ec_))
          reactor.start_op(ad::reactor::read_op, impl.socket_, impl.reactor_data_, p.p, is_continuation, true);
        else
          reactor.post_immediate_completion(p.p, is_continuation);
        p.v = p.p = 0;
      },
      token);
}

}  // namespace scalelab::balancer::io
