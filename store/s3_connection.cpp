// How an S3Connection speaks HTTP/1.1: Beast's serializer and parser over a
// WaitingSocket, with every failure turned into S3TransportError and every answer's end
// checked before the connection is offered again.
#include "store/s3_connection.hpp"

#include <limits>

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace scalelab::store {
namespace {

// What the buffer of undecoded input may hold: an answer's head plus one read's worth.
constexpr std::size_t kInputBuffer = S3Connection::kMaxAnswerHead + 64 * 1024;

net::WaitingSocket open_socket(const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout,
                               std::chrono::milliseconds io_timeout) {
  try {
    return net::WaitingSocket::connect(host, port, connect_timeout, io_timeout);
  } catch (const std::runtime_error& e) {
    throw S3TransportError(e.what());
  }
}

[[noreturn]] void fail(const char* step, const boost::system::error_code& ec) {
  throw S3TransportError(std::string(step) + ": " + ec.message());
}

template <class Request>
void set_fields(Request& request, const S3Fields& fields) {
  for (const auto& [name, value] : fields) request.set(name, value);
}

}  // namespace

S3Connection::S3Connection(const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout,
                           std::chrono::milliseconds io_timeout)
    : socket_(open_socket(host, port, connect_timeout, io_timeout)), buffer_(kInputBuffer) {}

bool S3Connection::usable() const { return reusable_ && buffer_.size() == 0 && socket_.idle_and_open(); }

void S3Connection::begin(s3http::verb method) {
  reusable_ = false;  // until an answer says otherwise
  streamed_.reset();
  head_ = method == s3http::verb::head;
}

template <class Body>
void S3Connection::send(s3http::request<Body>& request) {
  begin(request.method());
  boost::system::error_code ec;
  s3http::write(socket_, request, ec);
  if (ec) fail("write request", ec);
}

S3Answer S3Connection::exchange(s3http::verb method, const std::string& target, const S3Fields& fields,
                                const std::string& body) {
  s3http::request<s3http::string_body> request{method, target, 11};
  set_fields(request, fields);
  request.body() = body;
  if (!body.empty() || method == s3http::verb::post || method == s3http::verb::put)
    request.content_length(body.size());
  send(request);
  return read_whole(head_);
}

void S3Connection::send_head(s3http::verb method, const std::string& target, const S3Fields& fields,
                             std::uint64_t size) {
  s3http::request<s3http::empty_body> request{method, target, 11};
  set_fields(request, fields);
  request.content_length(size);
  begin(method);
  s3http::request_serializer<s3http::empty_body> serializer{request};
  boost::system::error_code ec;
  s3http::write_header(socket_, serializer, ec);
  if (ec) fail("write request head", ec);
}

void S3Connection::send_body(const char* data, std::size_t size) {
  boost::system::error_code ec;
  boost::asio::write(socket_, boost::asio::const_buffer(data, size), ec);
  if (ec) fail("write request body", ec);
}

S3Answer S3Connection::read_answer() { return read_whole(false); }

S3Answer S3Connection::read_whole(bool head) {
  s3http::response_parser<s3http::string_body> parser;
  parser.header_limit(kMaxAnswerHead);
  parser.body_limit(kMaxAnswerBody);
  if (head) parser.skip(true);
  boost::system::error_code ec;
  s3http::read(socket_, buffer_, parser, ec);
  if (ec) fail("read answer", ec);
  finish(parser.get().keep_alive());
  return parser.release();
}

const S3AnswerHead& S3Connection::start_streamed(s3http::verb method, const std::string& target,
                                                 const S3Fields& fields) {
  s3http::request<s3http::empty_body> request{method, target, 11};
  set_fields(request, fields);
  send(request);
  streamed_.emplace();
  streamed_->header_limit(kMaxAnswerHead);
  // Streamed to a bounded sink, never held, so no limit. (Not boost::none: Beast 1.74
  // compares the Content-Length with the optional itself, and any length is more than an
  // empty optional.)
  streamed_->body_limit(std::numeric_limits<std::uint64_t>::max());
  boost::system::error_code ec;
  s3http::read_header(socket_, buffer_, *streamed_, ec);
  if (ec) fail("read answer head", ec);
  if (streamed_->is_done()) finish(streamed_->get().keep_alive());
  return streamed_->get();
}

std::size_t S3Connection::read_body(char* buf, std::size_t size) {
  if (!streamed_) throw std::logic_error("S3Connection::read_body without start_streamed");
  if (streamed_->is_done() || size == 0) return 0;
  auto& body = streamed_->get().body();
  body.data = buf;
  body.size = size;
  boost::system::error_code ec;
  s3http::read(socket_, buffer_, *streamed_, ec);
  if (ec == s3http::error::need_buffer) ec = {};
  if (ec) fail("read answer body", ec);
  const std::size_t got = size - body.size;
  if (streamed_->is_done()) finish(streamed_->get().keep_alive());
  return got;
}

void S3Connection::finish(bool keep_alive) { reusable_ = keep_alive && buffer_.size() == 0; }

}  // namespace scalelab::store
