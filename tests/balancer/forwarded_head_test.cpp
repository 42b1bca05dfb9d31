// Unit tests: the forwarded heads rendered with the edits applied on the way
// (forwarded_head.hpp) are byte for byte what editing Beast's fields and then
// serializing them gives, for ordinary and awkward messages alike.
#include "balancer/forwarded_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory_resource>

#include "balancer/algorithms.hpp"

using namespace scalelab::balancer;
namespace http = boost::beast::http;

namespace {

template <bool isRequest>
using Parser = http::parser<isRequest, http::buffer_body, std::pmr::polymorphic_allocator<char>>;

// Parses a head as the proxy does (a HEAD answer's body is skipped, as the proxy asks).
template <bool isRequest>
void parse(Parser<isRequest>& p, const std::string& text, bool skip = false) {
  p.eager(false);
  if (skip) p.skip(true);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(text), ec);
  ASSERT_TRUE(p.is_header_done()) << ec.message() << " in\n" << text;
}

std::string reference_fields(const auto& h) {
  std::string out;
  for (const auto& f : h) {
    out.append(f.name_string().data(), f.name_string().size());
    out += ": ";
    out.append(f.value().data(), f.value().size());
    out += "\r\n";
  }
  return out + "\r\n";
}

// The edits as the proxy made them before forwarded_head.hpp, then serialized.
std::string reference_request(Parser<true>& p, std::string_view ip, std::string_view id) {
  auto& req = p.get();
  strip_hop_by_hop(req);
  req.erase(http::field::expect);
  add_forwarded_for(req, ip, "http");
  req.set("X-Request-Id", boost::beast::string_view(id.data(), id.size()));
  req.version(11);
  if (p.chunked())
    req.chunked(true);
  else if (auto length = p.content_length())
    req.content_length(*length);
  std::string out(req.method_string());
  out += ' ';
  out.append(req.target().data(), req.target().size());
  out += " HTTP/1.1\r\n";
  return out + reference_fields(req);
}

std::string rendered_request(const std::string& text, std::string_view ip, std::string_view id) {
  Parser<true> p;
  parse(p, text);
  ForwardedRequest f{ip, "http", id, p.chunked(), {}};
  if (auto length = p.content_length(); length && !f.chunked) f.content_length = *length;
  std::string out;
  render_forwarded_request(out, p.get(), f);
  return out;
}

void expect_same_request(const std::string& text) {
  Parser<true> p;
  parse(p, text);
  EXPECT_EQ(rendered_request(text, "127.0.0.9", "rid-1"), reference_request(p, "127.0.0.9", "rid-1")) << text;
}

struct ResponseCase {
  std::string text;
  unsigned version;
  bool head;
  bool keep;
  std::string cookie;
};

std::string reference_response(Parser<false>& p, const ResponseCase& c) {
  auto& res = p.get();
  const bool bodyless = c.head || res.result_int() == 204 || res.result_int() == 304;
  const auto length = p.content_length();
  strip_hop_by_hop(res);
  if (!bodyless) {
    if (length)
      res.content_length(*length);
    else if (c.version == 11)
      res.chunked(true);
  }
  if (res.find("X-Request-Id") == res.end()) res.set("X-Request-Id", "rid-2");
  if (!c.cookie.empty()) res.insert(http::field::set_cookie, c.cookie);
  res.version(c.version);
  res.keep_alive(c.keep);
  std::string out = c.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.result_int());
  out += ' ';
  const auto reason = res.reason().empty() ? http::obsolete_reason(res.result()) : res.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  return out + reference_fields(res);
}

void expect_same_response(std::string text, unsigned version = 11, bool head = false, bool keep = true,
                          std::string cookie = {}) {
  const ResponseCase c{std::move(text), version, head, keep, std::move(cookie)};
  Parser<false> a, b;
  parse(a, c.text, c.head);
  parse(b, c.text, c.head);
  const unsigned status = a.get().result_int();
  ForwardedResponse f{c.version, c.head || status == 204 || status == 304, {}, "rid-2", c.cookie, c.keep, {}};
  if (auto length = a.content_length()) f.content_length = *length;
  std::string out;
  render_forwarded_response(out, a.get(), f);
  EXPECT_EQ(out, reference_response(b, c)) << c.text;
}

}  // namespace

TEST(ForwardedHead, PlainRequests) {
  expect_same_request("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n");
  expect_same_request("GET /x?y=1 HTTP/1.0\r\nHost: a\r\n\r\n");
  expect_same_request("HEAD /h HTTP/1.1\r\nhost: a\r\nCookie: scalelab_backend=b1\r\n\r\n");
}

TEST(ForwardedHead, RequestHopByHopAndForwardingHeaders) {
  expect_same_request(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret, Host\r\nKeep-Alive: 5\r\nX-Secret: s\r\n"
      "TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic x\r\nX-Kept: k\r\n\r\n");
  expect_same_request(
      "GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nHost: a\r\nx-forwarded-for: 10.0.0.2, 10.0.0.3\r\n"
      "X-Forwarded-Proto: https\r\nx-request-id: client-id\r\nAccept: */*\r\n\r\n");
  // A hop-by-hop X-Forwarded-For does not join the chain.
  expect_same_request(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n");
}

TEST(ForwardedHead, RequestFraming) {
  expect_same_request(
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nContent-Type: t\r\n\r\n");
  expect_same_request("POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: a\r\nX-After: 1\r\n\r\n");
  expect_same_request("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
}

TEST(ForwardedHead, Responses) {
  const std::string plain = "HTTP/1.1 200 OK\r\nServer: n\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n";
  expect_same_response(plain);
  expect_same_response(plain, 11, false, false);
  expect_same_response(plain, 10, false, true);
  expect_same_response(plain, 10, false, false);
  expect_same_response(plain, 11, false, true, affinity_cookie("scalelab_backend", "b2"));
  expect_same_response("HTTP/1.1 201 Made\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\nX-Request-Id: up\r\n\r\n");
  expect_same_response("HTTP/1.1 500 \r\nContent-Length: 2\r\n\r\n");
}

TEST(ForwardedHead, ResponseFramingAndHopByHop) {
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\nX-A: 1\r\n\r\n";
  expect_same_response(chunked);
  expect_same_response(chunked, 10, false, false);
  expect_same_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nX-A: 1\r\n\r\n", 11, true);
  expect_same_response("HTTP/1.1 204 No Content\r\nX-A: 1\r\nConnection: close\r\n\r\n", 11, false, false);
  expect_same_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\nETag: e\r\n\r\n");
  // The upstream's id is kept, unless Connection makes it hop-by-hop.
  expect_same_response(
      {"HTTP/1.1 200 OK\r\nConnection: X-Request-Id, Keep-Alive\r\nX-Request-Id: up\r\nContent-Length: 1\r\n\r\n"});
  expect_same_response("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\n", 10, false, false);
}
