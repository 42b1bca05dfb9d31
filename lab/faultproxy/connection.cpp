#include "lab/faultproxy/connection.hpp"

#include <boost/asio/redirect_error.hpp>

#include "common/log.hpp"

namespace scalelab::faultproxy {
namespace {

using boost::system::error_code;
using asio::ip::tcp;

constexpr std::size_t kChunk = 16 * 1024;
constexpr auto kConnectTimeout = std::chrono::seconds(5);

std::string peer_of(const tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(tcp::socket client, std::shared_ptr<LinkState> link, std::uint64_t id)
    : client_(std::move(client)), upstream_(client_.get_executor()), link_(std::move(link)), id_(id) {
  link_->metrics.accepted.Increment();
  link_->metrics.active.Increment();
}

Connection::~Connection() {
  // Torn down without close() (the loop was destroyed mid-flight): still balance the gauge.
  if (!closed_) {
    link_->metrics.active.Decrement();
    link_->live.erase(id_);
  }
}

void Connection::start(const std::vector<std::shared_ptr<const Toxic>>& toxics) {
  log::debug("connection opened", {{"proxy", link_->name}, {"conn", id_}, {"client", peer_of(client_)}});
  for (const auto& t : toxics) attach(t);
  if (closed_) return;
  for (const auto& ctx : attached_) {
    if (ctx->toxic().refuses_connections()) {
      finish(End::refused, true, false, ctx->toxic().spec().type);
      return;
    }
  }
  asio::co_spawn(executor(), connect_and_pipe(shared_from_this()), asio::detached);
}

void Connection::attach(const std::shared_ptr<const Toxic>& toxic) {
  if (closed_) return;
  // Decided once per connection and toxic: toxicity 1 always (the draw is < 1),
  // toxicity 0 never.
  if (random_unit() >= toxic->spec().toxicity) return;
  auto ctx = std::make_shared<ToxicContext>(toxic, *this);
  attached_.push_back(ctx);
  asio::co_spawn(
      executor(),
      [self = shared_from_this(), ctx]() -> asio::awaitable<void> { co_await ctx->toxic().on_attach(*ctx); },
      asio::detached);
}

void Connection::detach(const Toxic* toxic) {
  for (auto it = attached_.begin(); it != attached_.end(); ++it) {
    if (&(*it)->toxic() == toxic) {
      (*it)->deactivate();
      attached_.erase(it);
      return;
    }
  }
}

void Connection::close_connection(std::string_view why) { finish(End::toxic_close, false, false, why); }

void Connection::reset_connection(bool client_side, bool upstream_side, std::string_view why) {
  finish(End::toxic_reset, client_side, upstream_side, why);
}

void Connection::finish(End end, bool rst_client, bool rst_upstream, std::string_view why) {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  // SO_LINGER {on, 0} makes close() send RST instead of FIN.
  if (rst_client && client_.is_open()) client_.set_option(asio::socket_base::linger(true, 0), ignored);
  if (rst_upstream && upstream_.is_open()) upstream_.set_option(asio::socket_base::linger(true, 0), ignored);
  client_.close(ignored);
  upstream_.close(ignored);
  // Wake every sleeping toxic so the pumps notice the close and end.
  Chain attached;
  attached.swap(attached_);
  for (auto& ctx : attached) ctx->deactivate();
  link_->metrics.active.Decrement();
  link_->live.erase(id_);

  const std::string reason(why);
  switch (end) {
    case End::normal:
      log::debug("connection closed", {{"proxy", link_->name}, {"conn", id_}});
      break;
    case End::toxic_close:
      link_->metrics.count_toxic_close(reason);
      log::info("connection closed by toxic", {{"proxy", link_->name}, {"conn", id_}, {"toxic", reason}});
      break;
    case End::toxic_reset:
      link_->metrics.resets.Increment();
      log::info("connection reset by toxic", {{"proxy", link_->name},
                                             {"conn", id_},
                                             {"toxic", reason},
                                             {"rst_client", rst_client},
                                             {"rst_upstream", rst_upstream}});
      break;
    case End::refused:
      link_->metrics.refused.Increment();
      log::info("connection refused by toxic", {{"proxy", link_->name}, {"conn", id_}, {"toxic", reason}});
      break;
  }
}

asio::awaitable<void> Connection::connect_and_pipe(std::shared_ptr<Connection> self) {
  asio::steady_timer guard(executor());
  guard.expires_after(kConnectTimeout);
  guard.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    if (auto c = weak.lock()) {
      error_code ignored;
      c->upstream_.close(ignored);  // aborts the pending connect
    }
  });
  error_code ec;
  co_await upstream_.async_connect(link_->upstream, asio::redirect_error(asio::use_awaitable, ec));
  guard.cancel();
  if (closed_) co_return;
  if (ec) {
    link_->metrics.upstream_failures.Increment();
    log::warn("upstream unreachable",
              {{"proxy", link_->name}, {"conn", id_}, {"upstream", link_->upstream.address().to_string() + ":" +
                                                                       std::to_string(link_->upstream.port())},
               {"error", ec.message()}});
    finish(End::normal, false, false, "");
    co_return;
  }
  // Small request/response exchanges (Redis) must not wait on Nagle: the latency a
  // toxic adds has to be the only latency added.
  client_.set_option(tcp::no_delay(true), ec);
  upstream_.set_option(tcp::no_delay(true), ec);
  pumps_ = 2;
  asio::co_spawn(executor(), pump(self, Direction::upstream), asio::detached);
  asio::co_spawn(executor(), pump(self, Direction::downstream), asio::detached);
}

std::shared_ptr<const Connection::Chain> Connection::chain(Direction dir) const {
  auto out = std::make_shared<Chain>();
  for (const auto& ctx : attached_)
    if (ctx->affects(dir)) out->push_back(ctx);
  return out;
}

asio::awaitable<void> Connection::pump([[maybe_unused]] std::shared_ptr<Connection> self, Direction dir) {
  tcp::socket& from = dir == Direction::upstream ? client_ : upstream_;
  tcp::socket& to = dir == Direction::upstream ? upstream_ : client_;
  std::vector<char> buf(kChunk);
  for (;;) {
    error_code ec;
    const std::size_t n = co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) break;
    if (ec == asio::error::eof) {
      // The sender closed its side: toxics may hold the close back (slow_close, blackhole).
      auto links = chain(dir);
      for (const auto& ctx : *links)
        if (ctx->active()) co_await ctx->toxic().on_close(*ctx, dir);
      if (!closed_) to.shutdown(tcp::socket::shutdown_send, ec);
      break;
    }
    if (ec) {
      finish(End::normal, false, false, "");  // a peer reset or failed: close the other side too
      break;
    }
    co_await forward(dir, chain(dir), 0, std::string_view(buf.data(), n));
    if (closed_) break;
  }
  if (--pumps_ == 0) finish(End::normal, false, false, "");
}

asio::awaitable<void> Connection::forward(Direction dir, std::shared_ptr<const Chain> links, std::size_t index,
                                          std::string_view data) {
  while (index < links->size() && !(*links)[index]->active()) ++index;  // removed since the chunk started
  if (closed_) co_return;
  if (index == links->size()) {
    tcp::socket& to = dir == Direction::upstream ? upstream_ : client_;
    error_code ec;
    co_await asio::async_write(to, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      finish(End::normal, false, false, "");
      co_return;
    }
    (dir == Direction::upstream ? link_->metrics.bytes_upstream : link_->metrics.bytes_downstream)
        .Increment(static_cast<double>(data.size()));
    co_return;
  }
  const std::shared_ptr<ToxicContext> ctx = (*links)[index];
  const Forward next = [this, dir, links, index](std::string_view rest) {
    return forward(dir, links, index + 1, rest);
  };
  co_await ctx->toxic().on_data(*ctx, dir, data, next);
}

}  // namespace scalelab::faultproxy
