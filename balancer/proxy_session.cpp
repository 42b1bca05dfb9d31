// One client connection as a coroutine; the phases and their timeouts are listed in
// proxy_session.hpp. Retry rules live in retry_policy.hpp, balancing in algorithms.hpp,
// message streaming in relay.hpp; this file sequences them.
#include "balancer/proxy_session.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <limits>
#include <span>

#include "balancer/error_response.hpp"
#include "balancer/forwarded_head.hpp"
#include "balancer/message_arena.hpp"
#include "balancer/relay.hpp"
#include "balancer/worker.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/request_id.hpp"
#include "common/text.hpp"

namespace scalelab::balancer {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using ResponseParser = http::response_parser<http::buffer_body, std::pmr::polymorphic_allocator<char>>;

constexpr std::size_t kRelaySize = 32 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// The answers for a request header or body that broke a bound of relay.hpp's.
Rejection reject_header_read(HeaderRead r) {
  switch (r) {
    case HeaderRead::line_too_long:
      return {414, "uri_too_long", "the request line is longer than the header limit"};
    case HeaderRead::bad_line:
      return {400, "bad_line_ending", "a header line ends in a bare LF; lines end in CRLF"};
    default:
      return {431, "header_too_large", "the request header is larger than the limit"};
  }
}
Rejection reject_relay(RelayResult r) {
  if (r == RelayResult::bad_line) return {400, "bad_line_ending", "a chunk line or trailer ends in a bare LF"};
  return {400, "chunk_line_too_long",
          "a chunk-size line, its extensions or the trailers passed " +
              std::to_string(http_framing::kMaxPendingLine) + " bytes"};
}

enum class Phase { idle, header, client_body, client_write, connect, upstream_write, upstream_read, closing };

// What one request accumulates for its answer and its access-log line. The views point
// into the request's parser and the session, which outlive it.
struct RequestState {
  std::string_view method, target, request_id;
  std::string sticky_id, backend_id, error;
  http::verb verb = http::verb::unknown;
  unsigned version = 11;
  bool client_keep_alive = false;
  bool head = false;
  bool has_body = false;
  bool expect_continue = false;
  bool sent_continue = false;
  bool body_streamed = false;
  bool close_client = false;  // the connection must close after this exchange
  bool chunked = false;                         // the request body is chunked
  std::optional<std::uint64_t> content_length;  // else its declared length, if any
  Retarget retarget;                            // absolute-form target or no Host: forwarded_head.hpp
  int attempts = 0;
  unsigned status = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  const char* retry_reason = nullptr;
  BackendMetrics* backend_metrics = nullptr;  // of the backend that answered
  std::optional<std::uint64_t> cold_start_ms;  // it waited for a backend to start (activator.hpp)
};

// How one attempt on one backend ended: the client has its answer; it failed in a way
// the retry rules judge; the balancer must answer by itself (a busy pool, bad input
// found in the body); or the client is gone. `failure` is read for `failed` only,
// `local` for `local` only.
enum class AttemptEnd { answered, failed, local, client_gone };
struct AttemptOutcome {
  AttemptEnd end = AttemptEnd::answered;
  Failure failure{};
  LocalAnswer local{};

  static AttemptOutcome answered() { return {AttemptEnd::answered, {}, {}}; }
  static AttemptOutcome failed(Failure f) { return {AttemptEnd::failed, f, {}}; }
  static AttemptOutcome answer_locally(LocalAnswer a) { return {AttemptEnd::local, {}, std::move(a)}; }
  static AttemptOutcome client_gone() { return {AttemptEnd::client_gone, {}, {}}; }
};

class Session final : public SessionHook {
 public:
  Session(Worker& w, tcp::socket socket)
      : w_(w),
        s_(w.shared.settings),
        client_(std::move(socket)),
        deadline_(w.scanner, [this] { on_deadline(); }),
        writer_(w.writes) {
    w_.sessions.push_back(*this);
    w_.shared.sessions.fetch_add(1, std::memory_order_relaxed);
    w_.shared.metrics.client_connections_open().fetch_add(1, std::memory_order_relaxed);
    w_.shared.metrics.client_connection_opened();
  }
  ~Session() override {
    w_.shared.sessions.fetch_sub(1, std::memory_order_relaxed);
    w_.shared.metrics.client_connections_open().fetch_sub(1, std::memory_order_relaxed);
  }

  asio::awaitable<void> run();
  void on_shutdown() override {
    // Between requests, or still receiving a header: nothing is in flight yet.
    error_code ignored;
    if (idle_ || phase_ == Phase::header) client_.cancel(ignored);
  }
  void force_close() override {
    error_code ignored;
    client_.cancel(ignored);
    client_.close(ignored);
    if (upstream_) upstream_->socket.close(ignored);
  }

 private:
  void arm(Phase p, int ms) {
    phase_ = p;
    timed_out_ = false;
    deadline_.expires_after(std::chrono::milliseconds(ms));
  }
  void on_deadline() {
    timed_out_ = true;
    error_code ignored;
    client_.cancel(ignored);
    if (upstream_) upstream_->socket.cancel(ignored);
  }
  char* relay_buffer() {
    if (!relay_) relay_ = std::make_unique<char[]>(kRelaySize);
    return relay_.get();
  }

  // Serves the connection's requests in turn, until one ends it (or the worker stops).
  asio::awaitable<void> serve();
  asio::awaitable<void> proxy(RequestParser& parser, RequestState& st);
  // No backend exists (scale to zero): waits for one (activator.hpp). nullopt: one is
  // there now, pick again; else the 503 to answer.
  asio::awaitable<std::optional<LocalAnswer>> await_activation(RequestState& st);
  // One attempt on backend `b`, in four phases: connect, send, header, relay. The
  // waits stay in attempt() itself and the work around them is in plain functions:
  // each coroutine called per request costs a frame (an allocation), so the phases are
  // not coroutines of their own, except connect_upstream(), which only a new connection
  // needs. A phase helper returns how the attempt ended, or nothing when it goes on.
  asio::awaitable<AttemptOutcome> attempt(const std::shared_ptr<Backend>& b, RequestParser& parser, RequestState& st);
  asio::awaitable<std::optional<AttemptOutcome>> connect_upstream(const std::shared_ptr<Backend>& b,
                                                                  UpstreamPool::Lease lease);
  std::optional<AttemptOutcome> after_send(RelayResult r, const error_code& ec, RequestState& st);
  void start_response_parser(const RequestState& st);
  std::optional<AttemptOutcome> after_header(HeaderRead hr, const error_code& ec, const Backend& b, bool per_try,
                                             bool got_bytes);
  bool start_response(Backend& b, const RequestParser& parser, RequestState& st);
  AttemptOutcome after_relay(RelayResult r, std::uint64_t moved, Backend& b, const RequestParser& parser,
                             RequestState& st, bool keep);
  // Hands the upstream connection back to the pool: kept, or closed for `how`.
  void release_upstream(Release how) { w_.pool.release(std::move(upstream_), how); }
  asio::awaitable<void> answer(RequestState& st, const LocalAnswer& a);
  asio::awaitable<void> linger_close();
  void log_request(const RequestState& st, Clock::time_point started);

  // Note for every co_await below: g++ 12 may destroy a temporary with a destructor
  // twice when it lives in the same full-expression as a co_await (a std::string or a
  // braced LocalAnswer argument, say). Such values are named locals first.
  Worker& w_;
  const Settings& s_;
  tcp::socket client_;
  beast::flat_buffer in_;
  Deadline deadline_;
  Phase phase_ = Phase::idle;
  bool timed_out_ = false;
  bool idle_ = false;
  bool linger_ = false;                     // we answered and close: let the client read it (linger_close)
  std::unique_ptr<UpstreamConnection> upstream_;  // the connection leased for this attempt
  std::unique_ptr<char[]> relay_;
  MessageWriter writer_;  // renders what goes out, one message at a time
  std::string client_ip_;
  std::string local_;       // a rendered local answer, alive while it is written
  std::string request_id_;  // the current request's id (its buffer is reused)
  // Parsed headers live here, released between messages (message_arena.hpp). Inline
  // sizes: a browser's request header with cookies; an application's answer.
  MessageArena<4096> request_arena_;
  MessageArena<2048> response_arena_;
  // The current messages' parsers. They live here rather than in the coroutine frames
  // so those stay small enough for malloc's per-thread cache.
  std::optional<RequestParser> request_;
  std::optional<ResponseParser> response_;
};

asio::awaitable<void> Session::run() {
  io::set_fast_options(client_);
  error_code ec;
  const auto remote = client_.remote_endpoint(ec);
  client_ip_ = ec ? "unknown" : remote.address().to_string();
  try {
    co_await serve();
    if (linger_ && client_.is_open()) co_await linger_close();
  } catch (const std::exception& e) {
    // Nothing a client sends may take the process down; the connection just ends.
    log::error("proxy session failed", {{"client", client_ip_}, {"error", e.what()}});
  }
  deadline_.clear();
  client_.close(ec);
}

asio::awaitable<void> Session::linger_close() {
  // Closing with unread request bytes makes the kernel send a reset, which can destroy
  // the answer we just wrote (a 413, say) before the client reads it. So: stop sending,
  // then read and discard for a short while.
  error_code ec;
  client_.shutdown(tcp::socket::shutdown_send, ec);
  arm(Phase::closing, 500);
  std::size_t discarded = 0;
  while (!ec && discarded < (1u << 20)) {
    in_.clear();
    discarded += co_await io::read_some(client_, in_.prepare(kReadChunk), ec);
  }
}

asio::awaitable<void> Session::serve() {
  // One turn of the loop per request, rather than a coroutine per request: Asio 1.74
  // keeps a single freed coroutine frame per thread for reuse, and a large frame made
  // and freed per request evicts it, so that the smaller ones after it are allocated
  // afresh (bench/balancer/callgrind.sh counts the allocations per request).
  for (;;) {
    if (w_.shared.stopping.load(std::memory_order_relaxed)) co_return;
    error_code ec;
    if (in_.size() == 0) {
      // Between requests: wait for the first byte of the next one.
      idle_ = true;
      arm(Phase::idle, s_.idle_timeout_ms);
      const std::size_t n = co_await io::read_some(client_, in_.prepare(kReadChunk), ec);
      in_.commit(n);
      idle_ = false;
      if (ec) co_return;  // closed, reset, idle timeout or shutdown: no answer owed
    }
    const auto started = Clock::now();
    RequestState st;
    request_.reset();
    request_arena_.release();  // the previous request's parser is gone
    request_.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(request_arena_.allocator()));
    RequestParser& parser = *request_;
    configure(parser, w_.shared.limits);
    arm(Phase::header, s_.header_timeout_ms);
    bool got_bytes = false;
    const HeaderRead r = co_await read_header(client_, in_, parser, ec, got_bytes, w_.shared.limits.max_header_bytes);
    if (r != HeaderRead::ok) {
      st.close_client = true;
      st.version = 11;
      std::optional<Rejection> rej;
      if (timed_out_)
        rej = Rejection{408, "header_timeout", "the request header did not arrive in time"};
      else if (r == HeaderRead::parse_error && ec != http::error::partial_message)
        rej = reject_parse_error(ec, std::string_view(static_cast<const char*>(in_.data().data()), in_.size()));
      else if (r != HeaderRead::parse_error && r != HeaderRead::io_error && r != HeaderRead::eof_before_any_byte)
        rej = reject_header_read(r);
      if (!rej) co_return;  // the client went away mid-header
      w_.shared.metrics.count_client_error(rej->error.c_str());
      if (rej->status == 408) rej->error = "request_timeout";
      const LocalAnswer local{rej->status, rej->error, rej->detail};
      co_await answer(st, local);
      log_request(st, started);
      co_return;
    }

    auto& req = parser.get();
    st.method = sv(req.method_string());
    st.target = sv(req.target());
    st.verb = req.method();
    st.version = req.version() == 10 ? 10 : 11;
    st.head = st.verb == http::verb::head;
    const auto incoming_id = sv(req["X-Request-Id"]);
    if (is_acceptable_request_id(incoming_id))
      request_id_.assign(incoming_id);
    else
      ids::unique_token_into(request_id_);  // not a secret: it names the request in every log
    st.request_id = request_id_;
    if (auto rej = validate_request_head(parser)) {
      st.close_client = true;
      w_.shared.metrics.count_client_error(rej->error.c_str());
      const LocalAnswer local{rej->status, rej->error, rej->detail};
      co_await answer(st, local);
      log_request(st, started);
      co_return;
    }
    st.client_keep_alive = req.keep_alive() && !w_.shared.stopping.load(std::memory_order_relaxed);
    st.has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
    // An HTTP/1.0 client knows no 100 Continue (RFC 9110 §10.1.1): it just sends the body.
    st.expect_continue =
        st.version == 11 && st.has_body && text::iequals(req[http::field::expect], "100-continue");
    if (s_.algorithm == Algorithm::sticky) st.sticky_id = find_cookie(sv(req[http::field::cookie]), s_.sticky_cookie);

    // The forwarded request's framing is re-applied from what the parser read (each
    // attempt renders the head: forwarded_head.hpp).
    st.chunked = parser.chunked();
    if (const auto length = parser.content_length(); length && !st.chunked) st.content_length = *length;
    st.retarget = retarget(req);

    w_.shared.in_flight.fetch_add(1, std::memory_order_relaxed);
    w_.shared.requests_received.fetch_add(1, std::memory_order_relaxed);
    co_await proxy(parser, st);
    w_.shared.in_flight.fetch_sub(1, std::memory_order_relaxed);
    log_request(st, started);
    // Unread request bytes would be taken for the next request: close instead.
    if (!parser.is_done()) st.close_client = true;
    if (!st.client_keep_alive || st.close_client || !client_.is_open()) co_return;
  }
}

asio::awaitable<void> Session::proxy(RequestParser& parser, RequestState& st) {
  // Backends tried (or found draining) for this request; --retries is at most 10.
  std::array<Backend*, 16> tried_storage{};
  std::size_t tried_count = 0;
  auto tried = [&] { return std::span<Backend* const>(tried_storage.data(), tried_count); };
  std::optional<Failure> last;
  bool holding_retry = false;
  for (;;) {
    Choice choice;  // none once the list of tried backends is full: answer, never loop
    if (tried_count < tried_storage.size())
      choice = w_.picker.pick(*w_.backends(), Clock::now(), tried(), st.sticky_id);
    if (st.attempts == 0 && tried_count == 0) {
      if (choice.backend) w_.shared.note_panic(choice.panic);
      if (choice.affinity_broken) w_.shared.metrics.count_affinity_broken();
    }
    if (!choice.backend && !last && !st.cold_start_ms && w_.shared.activator.enabled()) {
      // Scale to zero: no backend exists yet. Wait for the lab to start one.
      auto refusal = co_await await_activation(st);
      if (!refusal) continue;
      if (!parser.is_done()) st.close_client = true;
      co_await answer(st, *refusal);
      break;
    }
    if (!choice.backend) {
      if (!parser.is_done()) st.close_client = true;
      const LocalAnswer local =
          last ? LocalAnswer{failure_status(*last), failure_error(*last),
                             std::string("every attempt failed; the last one: ") + failure_name(*last)}
               : LocalAnswer{503, "no_backends", "no backend is available"};
      co_await answer(st, local);
      break;
    }
    Backend& b = *choice.backend;
    // Raise in_flight before re-checking the state: the registry removes a draining
    // backend only once in_flight is 0, so this order closes the race with a drain.
    b.in_flight.fetch_add(1);
    tried_storage[tried_count++] = &b;
    if (!b.active()) {
      b.in_flight.fetch_sub(1);
      continue;
    }
    ++st.attempts;
    st.backend_id = b.id();
    const AttemptOutcome out = co_await attempt(choice.backend, parser, st);
    b.in_flight.fetch_sub(1);
    if (out.end == AttemptEnd::answered || out.end == AttemptEnd::client_gone) break;
    if (out.end == AttemptEnd::local) {
      co_await answer(st, out.local);
      break;
    }
    const Failure f = out.failure;
    last = f;
    if (is_connect_failure(f))
      b.on_connect_failure(Clock::now());
    else
      b.on_gateway_failure(Clock::now());
    log::debug("upstream attempt failed",
               {{"backend", b.id()}, {"failure", failure_name(f)}, {"request_id", st.request_id}});
    if (retryable(f, st.verb, st.body_streamed) && st.attempts <= s_.retries) {
      // A failed connect never reached a backend: its retry is the request's first
      // delivery and adds no load anywhere, so it takes no slot of the budget.
      const bool adds_load = !is_connect_failure(f);
      if (!adds_load || holding_retry ||
          w_.shared.budget.try_acquire(w_.shared.in_flight.load(std::memory_order_relaxed))) {
        holding_retry = holding_retry || adds_load;
        st.retry_reason = failure_name(f);
        w_.shared.metrics.count_retry(failure_name(f));
        continue;
      }
      w_.shared.metrics.count_retry_budget_exhausted();
    }
    if (!parser.is_done()) st.close_client = true;
    const LocalAnswer local{failure_status(f), failure_error(f),
                            std::string("backend ") + b.id() + ": " + failure_name(f)};
    co_await answer(st, local);
    break;
  }
  if (holding_retry) w_.shared.budget.release();
}

asio::awaitable<std::optional<LocalAnswer>> Session::await_activation(RequestState& st) {
  Activator& activator = w_.shared.activator;
  if (!activator.enter()) {
    w_.shared.metrics.count_activation_refused(false);
    co_return LocalAnswer{503, "activation_queue_full",
                          "no backend is running and " + std::to_string(s_.activation_queue) +
                              " requests already wait for one to start"};
  }
  deadline_.clear();  // the wait has its own bound
  const auto began = Clock::now();
  const bool found = co_await w_.wait_for_backend(began + s_.ms(s_.activation_timeout_ms));
  activator.leave();
  const auto waited = Clock::now() - began;
  if (found) {
    st.cold_start_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
    w_.shared.metrics.observe_cold_start(std::chrono::duration<double>(waited).count());
    co_return std::nullopt;
  }
  if (w_.shared.stopping.load(std::memory_order_relaxed))
    co_return LocalAnswer{503, "shutting_down", "the balancer is shutting down"};
  w_.shared.metrics.count_activation_refused(true);
  co_return LocalAnswer{503, "cold_start_timeout",
                        "no backend started within " + std::to_string(s_.activation_timeout_ms) +
                            " ms (the lab was asked for one)"};
}

asio::awaitable<AttemptOutcome> Session::attempt(const std::shared_ptr<Backend>& b, RequestParser& parser,
                                                 RequestState& st) {
  // Connect: usually a pooled connection, at once.
  deadline_.clear();  // the pool queue has its own timeout
  UpstreamPool::Lease lease = w_.pool.try_acquire(b);
  if (lease.reused) {
    upstream_ = std::move(lease.conn);
  } else {
    const std::optional<AttemptOutcome> ended = co_await connect_upstream(b, std::move(lease));
    if (ended) co_return *ended;
  }

  // Send: the head, then the body streamed from the client as it arrives.
  error_code ec;
  const ForwardedRequest head{client_ip_, "http", st.request_id, st.chunked, st.content_length, &st.retarget};
  render_forwarded_request(writer_.start(st.chunked ? MessageWriter::Framing::chunked : MessageWriter::Framing::raw),
                           parser.get(), head);
  RelayResult sent = RelayResult::done;
  if (!st.has_body) {
    arm(Phase::upstream_write, s_.response_timeout_ms);
    co_await writer_.send(upstream_->socket, ec);
    if (ec) sent = RelayResult::write_error;
  } else {
    if (st.expect_continue && !st.sent_continue) {
      arm(Phase::client_write, s_.client_timeout_ms);
      const error_code cec = co_await io::write_all(client_, asio::buffer(kContinue.data(), kContinue.size()));
      if (cec) {
        release_upstream(Release::failed);
        st.close_client = true;
        co_return AttemptOutcome::client_gone();
      }
      st.sent_continue = true;
    }
    st.body_streamed = true;
    std::uint64_t moved = 0;
    sent = co_await relay_message<true>(
        client_, in_, parser, upstream_->socket, writer_, relay_buffer(), kRelaySize, ec, moved,
        [&] { arm(Phase::client_body, s_.client_timeout_ms); },
        [&] { arm(Phase::upstream_write, s_.response_timeout_ms); });
    st.bytes_in += moved;
  }
  if (auto ended = after_send(sent, ec, st)) co_return *ended;

  // Header: interim 1xx answers are read past (Expect was not forwarded). A request
  // that may go to another backend waits only the per-try timeout for the header, even
  // when it has begun: nothing reaches the client before it is whole.
  const bool per_try = s_.try_timeout_ms > 0 && retryable(Failure::try_timeout, st.verb, st.body_streamed);
  const int header_ms = per_try ? std::min(s_.try_timeout_ms, s_.response_timeout_ms) : s_.response_timeout_ms;
  bool got_bytes = false;
  do {
    start_response_parser(st);
    arm(Phase::upstream_read, header_ms);
    const HeaderRead hr =
        co_await read_header(upstream_->socket, upstream_->buffer, *response_, ec, got_bytes, s_.max_response_header_bytes);
    if (auto ended = after_header(hr, ec, *b, per_try, got_bytes)) co_return *ended;
  } while (response_->get().result_int() < 200);

  // Relay: the response as the client gets it.
  const bool keep = start_response(*b, parser, st);
  std::uint64_t moved = 0;
  const RelayResult r = co_await relay_message<false>(
      upstream_->socket, upstream_->buffer, *response_, client_, writer_, relay_buffer(), kRelaySize, ec, moved,
      [&] { arm(Phase::upstream_read, s_.response_timeout_ms); },
      [&] { arm(Phase::client_write, s_.client_timeout_ms); });
  co_return after_relay(r, moved, *b, parser, st, keep);
}

asio::awaitable<std::optional<AttemptOutcome>> Session::connect_upstream(const std::shared_ptr<Backend>& b,
                                                                         UpstreamPool::Lease lease) {
  if (!lease.conn) lease = co_await w_.pool.wait_for_slot(b, s_.ms(s_.queue_timeout_ms));
  if (!lease.conn) {
    w_.shared.metrics.count_queue_timeout();
    co_return AttemptOutcome::answer_locally(
        {503, "upstream_busy", "every connection to backend " + b->id() + " stayed busy for the queue timeout"});
  }
  upstream_ = std::move(lease.conn);
  if (lease.reused) co_return std::nullopt;  // handed over by another request
  arm(Phase::connect, s_.connect_timeout_ms);
  error_code ec;
  co_await upstream_->socket.async_connect(b->endpoint(), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const bool late = timed_out_;
    release_upstream(Release::failed);
    co_return AttemptOutcome::failed(late ? Failure::connect_timeout : Failure::connect_refused);
  }
  io::reregister_without_write_interest(upstream_->socket);
  io::set_fast_options(upstream_->socket);
  if (auto* m = b->metrics()) m->count_connection_opened();
  co_return std::nullopt;
}

std::optional<AttemptOutcome> Session::after_send(RelayResult r, const error_code& ec, RequestState& st) {
  if (r == RelayResult::done) return std::nullopt;
  const bool late = timed_out_;
  release_upstream(Release::failed);
  if (r == RelayResult::write_error) return AttemptOutcome::failed(late ? Failure::response_timeout : Failure::send_failed);
  // The client's body was at fault, or the client: nothing a retry could mend.
  st.close_client = true;
  if (r == RelayResult::parse_error || r == RelayResult::chunk_line_too_long || r == RelayResult::bad_line) {
    const Rejection rej = r == RelayResult::parse_error ? reject_parse_error(ec) : reject_relay(r);
    w_.shared.metrics.count_client_error(rej.error.c_str());
    return AttemptOutcome::answer_locally({rej.status, rej.error, rej.detail});
  }
  if (late) {
    w_.shared.metrics.count_client_error("body_timeout");
    return AttemptOutcome::answer_locally({408, "request_timeout", "the request body stalled"});
  }
  return AttemptOutcome::client_gone();
}

void Session::start_response_parser(const RequestState& st) {
  std::optional<ResponseParser>& rp = response_;
  rp.reset();
  response_arena_.release();  // no parser uses it now
  rp.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(response_arena_.allocator()));
  rp->header_limit(static_cast<std::uint32_t>(s_.max_response_header_bytes));
  // Beast 1.74 compares the length with an empty optional limit as "exceeded", so no
  // limit is spelled as the largest one.
  rp->body_limit(std::numeric_limits<std::uint64_t>::max());
  if (st.head) rp->skip(true);
}

std::optional<AttemptOutcome> Session::after_header(HeaderRead hr, const error_code& ec, const Backend& b,
                                                    bool per_try, bool got_bytes) {
  if (hr != HeaderRead::ok) {
    Failure f = Failure::bad_response;
    if (timed_out_)
      f = per_try ? Failure::try_timeout : Failure::response_timeout;
    else if (hr == HeaderRead::eof_before_any_byte)
      f = Failure::empty_response;
    else if (hr == HeaderRead::io_error)
      f = got_bytes ? Failure::reset_mid_header : Failure::reset_before_response;
    log::debug("upstream response unreadable", {{"backend", b.id()}, {"error", ec.message()}});
    release_upstream(Release::failed);
    return AttemptOutcome::failed(f);
  }
  const unsigned status = response_->get().result_int();
  // Beast takes any three digits; a status outside 100..599 cannot be sent on, and a
  // switch is a protocol error, since Upgrade was stripped.
  if (!is_forwardable_status(status) || status == 101) {
    release_upstream(Release::failed);
    return AttemptOutcome::failed(Failure::bad_response);
  }
  return std::nullopt;
}

bool Session::start_response(Backend& b, const RequestParser& parser, RequestState& st) {
  const auto& res = response_->get();
  const unsigned status = res.result_int();
  b.on_status(status, Clock::now());
  b.requests_total.fetch_add(1, std::memory_order_relaxed);
  if (auto* m = b.metrics()) m->count_request(status);
  st.status = status;
  st.backend_metrics = b.metrics();

  // Our framing, our connection management.
  const bool bodyless = st.head || status == 204 || status == 304;
  std::optional<std::uint64_t> length;
  if (const auto declared = response_->content_length()) length = *declared;
  bool close_after = st.close_client || !parser.is_done();
  // An HTTP/1.0 client reads a body without a length to the close.
  if (!bodyless && !length && st.version != 11) close_after = true;
  std::string cookie;
  if (s_.algorithm == Algorithm::sticky && b.id() != st.sticky_id) cookie = affinity_cookie(s_.sticky_cookie, b.id());
  const bool keep = st.client_keep_alive && !close_after && !w_.shared.stopping.load(std::memory_order_relaxed);
  if (!keep) st.close_client = true;
  const ForwardedResponse forwarded{st.version, bodyless, length, st.request_id, cookie, keep, st.cold_start_ms};
  render_forwarded_response(
      writer_.start(forwarded.chunked() ? MessageWriter::Framing::chunked : MessageWriter::Framing::raw), res, forwarded);
  return keep;
}

AttemptOutcome Session::after_relay(RelayResult r, std::uint64_t moved, Backend& b, const RequestParser& parser,
                                    RequestState& st, bool keep) {
  st.bytes_out = moved;
  if (r == RelayResult::done) {
    // Only a connection whose response ended exactly where its framing said, with
    // nothing read past that end, may carry another client's request.
    const bool upstream_keep_alive = response_->keep_alive() && !response_->need_eof();
    release_upstream(!upstream_keep_alive           ? Release::backend_close
                     : upstream_->buffer.size() > 0 ? Release::overran_framing
                     : !parser.is_done()            ? Release::request_unfinished
                                                    : Release::keep);
    if (!keep) linger_ = true;
    return AttemptOutcome::answered();
  }
  release_upstream(Release::failed);
  if (r != RelayResult::write_error && moved == 0) {
    // Nothing reached the client yet (the head goes out with the first body bytes):
    // the broken response can still become a clean answer, or a retry when the
    // backend died before its first body byte (a GET may go elsewhere).
    if (timed_out_) return AttemptOutcome::failed(Failure::response_timeout);
    return AttemptOutcome::failed(r == RelayResult::read_error ? Failure::truncated_response : Failure::bad_response);
  }
  // Too late to answer: the status line is out. Close both sides.
  st.close_client = true;
  if (r == RelayResult::write_error) {
    st.error = timed_out_ ? "client_timeout" : "client_gone";
  } else {
    st.error = r == RelayResult::read_error ? "upstream_truncated" : "upstream_bad_framing";
    b.on_gateway_failure(Clock::now());
  }
  return AttemptOutcome::client_gone();
}

asio::awaitable<void> Session::answer(RequestState& st, const LocalAnswer& a) {
  st.status = a.status;
  st.error = a.error;
  w_.shared.metrics.count_local_answer(a.status);
  const bool keep = st.client_keep_alive && !st.close_client && !w_.shared.stopping.load(std::memory_order_relaxed);
  local_ = render_error(a, keep, st.request_id, st.head);
  arm(Phase::client_write, s_.client_timeout_ms);
  const error_code ec = co_await io::write_all(client_, asio::buffer(local_));
  if (ec || !keep) st.close_client = true;
  if (!ec && !keep) linger_ = true;
}

void Session::log_request(const RequestState& st, Clock::time_point started) {
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  // The latency of proxied answers, per backend; local answers have no backend.
  if (st.backend_metrics != nullptr && st.error.empty()) st.backend_metrics->observe_latency(ms / 1000.0);
  if (!w_.access_log.enabled()) return;
  AccessRecord rec;
  rec.method = st.method;
  rec.target = st.target;
  rec.status = st.status;
  rec.backend = st.backend_id;
  rec.attempts = st.attempts;
  rec.duration_ms = ms;
  rec.bytes_in = st.bytes_in;
  rec.bytes_out = st.bytes_out;
  rec.client = client_ip_;
  rec.request_id = st.request_id;
  rec.error = st.error;
  rec.retry_reason = st.retry_reason ? std::string_view(st.retry_reason) : std::string_view{};
  rec.cold_start_ms = st.cold_start_ms;
  w_.access_log.write(rec);
}

}  // namespace

asio::awaitable<void> run_proxy_session(Worker& worker, tcp::socket socket) {
  Session session(worker, std::move(socket));
  co_await session.run();
}

}  // namespace scalelab::balancer
