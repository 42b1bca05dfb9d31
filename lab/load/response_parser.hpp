// A response parser for the load generator, leaner than Beast's stock one, which stores
// every header in a node-based container: several allocations per response, and a
// visible share of the generator's request rate on a trivial endpoint. This parser
// derives from Beast's basic_parser and keeps only what the load generator uses
// (status, X-Instance, Set-Cookie, X-RateLimit-*, Retry-After, X-Upload-Sha256, the
// body) directly in a reusable Response. Construct a fresh one for every response
// (Beast's rule).
#pragma once

#include <boost/beast/http/basic_parser.hpp>

#include "common/asio.hpp"
#include "lab/load/response.hpp"

namespace scalelab::load {

class ResponseParser : public boost::beast::http::basic_parser<false> {
 public:
  // `out` must outlive the parser; it is cleared here.
  ResponseParser(Response& out, std::uint64_t body_limit);

  // basic_parser's put() and put_eof(), instantiated once in response_parser.cpp (g++ 12
  // with -fsanitize warns falsely inside Beast's put(); only that file silences it).
  std::size_t feed(boost::asio::const_buffer bytes, boost::beast::error_code& ec);
  void feed_eof(boost::beast::error_code& ec);

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  Response& out_;
  std::int64_t rl_limit_ = -1, rl_remaining_ = -1, rl_window_ = -1;
};

}  // namespace scalelab::load
