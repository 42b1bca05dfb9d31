// Header capture for response_parser.hpp. Unknown headers cost one case-insensitive
// compare against a handful of names and no allocation.
#include "lab/load/response_parser.hpp"

#include "common/text.hpp"
#include <boost/beast/core/string.hpp>
#include <charconv>

namespace scalelab::load {
namespace http = boost::beast::http;

namespace {
std::int64_t to_int(boost::beast::string_view v) {
  std::int64_t n = -1;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() ? n : -1;
}
}  // namespace

ResponseParser::ResponseParser(Response& out, std::uint64_t body_limit) : out_(out) {
  out_.clear();
  this->body_limit(body_limit);
  header_limit(16 * 1024);
  eager(true);
}

std::size_t ResponseParser::feed(boost::asio::const_buffer bytes, error_code& ec) { return put(bytes, ec); }

void ResponseParser::feed_eof(error_code& ec) { put_eof(ec); }

void ResponseParser::on_response_impl(int code, string_view, int, error_code&) { out_.status = code; }

void ResponseParser::on_field_impl(http::field name, string_view name_string, string_view value, error_code&) {
  using text::iequals;
  switch (name) {
    case http::field::set_cookie:
      out_.set_cookies.emplace_back(value.data(), value.size());
      return;
    case http::field::retry_after:
      out_.retry_after_seconds = static_cast<int>(to_int(value));
      return;
    case http::field::unknown:
      break;
    default:
      return;
  }
  if (name_string.size() < 10 || (name_string[0] != 'x' && name_string[0] != 'X')) return;  // every name below is longer
  if (iequals(name_string, "x-instance")) {
    out_.instance.assign(value.data(), value.size());
  } else if (iequals(name_string, "x-request-id")) {
    out_.request_id.assign(value.data(), value.size());
  } else if (iequals(name_string, "x-ratelimit-limit")) {
    rl_limit_ = to_int(value);
  } else if (iequals(name_string, "x-ratelimit-remaining")) {
    rl_remaining_ = to_int(value);
  } else if (iequals(name_string, "x-ratelimit-window")) {
    rl_window_ = to_int(value);
  } else if (iequals(name_string, "x-upload-sha256")) {
    out_.upload_sha256.assign(value.data(), value.size());
  } else if (iequals(name_string, "x-scalelab-cold-start-ms")) {
    out_.cold_start_ms = to_int(value);
  } else if (iequals(name_string, "x-db-queries")) {
    out_.db_queries = to_int(value);
  }
}

void ResponseParser::on_header_impl(error_code&) {
  if (rl_limit_ >= 0 && rl_window_ >= 0) out_.ratelimit = RateLimitHeaders{rl_limit_, rl_remaining_, rl_window_};
  out_.keep_alive = keep_alive();
}

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code&) {
  if (content_length && *content_length <= (1u << 20)) out_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t ResponseParser::on_body_impl(string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

void ResponseParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

void ResponseParser::on_finish_impl(error_code&) { out_.keep_alive = keep_alive(); }

}  // namespace scalelab::load
