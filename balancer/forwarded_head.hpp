// Renders the head the proxy sends on straight from the parsed message, with the
// proxy's edits applied on the way. Editing Beast's fields first (erase
// the hop-by-hop headers, set X-Forwarded-For and X-Request-Id, re-apply the framing,
// set Connection) cost a search, an erase and an allocation per edit on every request;
// rendering skips and appends instead, and leaves the parsed message untouched. The
// bytes are those the edits followed by serialization gave (forwarded_head_test.cpp
// holds the two side by side): the kept fields in their order, then each replaced or
// added field in the order the edits appended it.
//
// Request:  method target HTTP/1.1 (and Host, when retargeted: see Retarget); kept fields; X-Forwarded-For (the kept chain plus
//           the client); X-Forwarded-Proto; X-Request-Id; Transfer-Encoding: chunked or
//           Content-Length from what the parser read. Expect is answered, not forwarded.
// Response: the client's version, the upstream's status and reason; kept fields; the
//           framing (unless the answer has no body); X-Request-Id when the upstream sent
//           none; the affinity cookie (sticky); Connection as the client's version and
//           keep-alive need it.
#pragma once

#include <boost/beast/http/message.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "balancer/hop_by_hop.hpp"
#include "common/text.hpp"

namespace scalelab::balancer {

namespace forwarded_detail {
using namespace std::string_view_literals;  // literals with their length: no strlen per piece
inline void append(std::string& out, boost::beast::string_view s) { out.append(s.data(), s.size()); }
inline void append_field(std::string& out, boost::beast::string_view name, boost::beast::string_view value) {
  append(out, name);
  out += ": "sv;
  append(out, value);
  out += "\r\n"sv;
}
inline void append_length(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out += "Content-Length: "sv;
  out.append(digits, end);
  out += "\r\n"sv;
}
// Fields Beast has no code for, compared by name as basic_fields::set compares them.
inline bool named(boost::beast::http::field f, boost::beast::string_view name, boost::beast::string_view want) {
  return f == boost::beast::http::field::unknown && text::iequals(name, want);
}
}  // namespace forwarded_detail

// Where a request goes, when the proxy must say it differently from the client. An
// absolute-form target ("GET http://a:1/x") becomes origin-form, and its authority is
// the Host sent on, whatever Host field came with it (RFC 9112 §3.2.2: the authority
// wins). A request without Host (HTTP/1.0 allows that) is sent on as HTTP/1.1, which
// requires one: it gets an empty Host, as §3.2 says for a target with no authority.
// Inactive for every other request, which costs nothing.
struct Retarget {
  bool active = false;
  std::string target;  // origin-form
  std::string host;    // the Host value sent on
};

template <class Fields>
Retarget retarget(const boost::beast::http::request_header<Fields>& req) {
  namespace http = boost::beast::http;
  const auto t = req.target();
  const std::string_view target(t.data(), t.size());
  std::size_t scheme = 0;
  if (text::istarts_with(t, "http://")) scheme = 7;
  if (text::istarts_with(t, "https://")) scheme = 8;
  Retarget r;
  if (scheme > 0) {
    r.active = true;
    const std::size_t end = target.find_first_of("/?#", scheme);
    std::string_view authority = target.substr(scheme, end == std::string_view::npos ? end : end - scheme);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    r.host.assign(authority);
    const std::string_view rest = end == std::string_view::npos ? std::string_view() : target.substr(end);
    const std::string_view path = rest.substr(0, rest.find('#'));
    if (path.empty() || path.front() != '/') r.target = req.method() == http::verb::options && path.empty() ? "*" : "/";
    r.target.append(path);
  } else if (req.count(http::field::host) == 0) {
    r.active = true;
    r.target.assign(target);
  }
  return r;
}

struct ForwardedRequest {
  std::string_view client_ip;   // appended to X-Forwarded-For
  std::string_view proto;       // X-Forwarded-Proto
  std::string_view request_id;  // X-Request-Id, replacing any the client sent
  bool chunked = false;         // the body is chunked: Transfer-Encoding: chunked
  std::optional<std::uint64_t> content_length;  // otherwise, its length when it has one
  const Retarget* retarget = nullptr;  // when active: its target, and its Host in place of the client's
};

template <class Fields>
void render_forwarded_request(std::string& out, const boost::beast::http::request_header<Fields>& req,
                              const ForwardedRequest& f) {
  namespace http = boost::beast::http;
  using namespace forwarded_detail;
  using namespace std::string_view_literals;
  append(out, req.method_string());
  out += ' ';
  const bool retargeted = f.retarget != nullptr && f.retarget->active;
  if (retargeted) {
    out += f.retarget->target;
    out += " HTTP/1.1\r\n"sv;
    append_field(out, "Host", {f.retarget->host.data(), f.retarget->host.size()});
  } else {
    append(out, req.target());
    out += " HTTP/1.1\r\n"sv;
  }
  const HopByHop hop(req);
  auto kept = [&](const auto& field) { return !hop.drops(field.name(), field.name_string()); };
  const bool reframed = f.chunked || f.content_length.has_value();
  for (const auto& field : req) {
    const http::field name = field.name();
    const auto sname = field.name_string();
    if (!kept(field) || name == http::field::expect || (reframed && name == http::field::content_length) ||
        (retargeted && name == http::field::host) ||
        is_forwarded_for(name, sname) || named(name, sname, "X-Forwarded-Proto") || named(name, sname, "X-Request-Id"))
      continue;
    append_field(out, sname, field.value());
  }
  out += "X-Forwarded-For: "sv;
  append_forwarded_for(out, req, kept, f.client_ip);
  out += "\r\n"sv;
  append_field(out, "X-Forwarded-Proto", {f.proto.data(), f.proto.size()});
  append_field(out, "X-Request-Id", {f.request_id.data(), f.request_id.size()});
  if (f.chunked)
    append_field(out, "Transfer-Encoding", "chunked");
  else if (f.content_length)
    append_length(out, *f.content_length);
  out += "\r\n"sv;
}

// A status a response may be sent on with: three digits from 100 to 599 (RFC 9110
// §15). Beast parses "000" as 0, which would go out as "HTTP/1.1 0".
inline bool is_forwardable_status(unsigned status) { return status >= 100 && status <= 599; }

struct ForwardedResponse {
  unsigned version = 11;  // the client's
  bool bodyless = false;  // HEAD, 204, 304: the framing headers stay as they came
  std::optional<std::uint64_t> content_length;  // the length the parser read, if any
  std::string_view request_id;                  // added when the upstream sent no X-Request-Id
  std::string_view set_cookie;                  // added when not empty
  bool keep_alive = true;                       // the client connection stays open
  std::optional<std::uint64_t> cold_start_ms;   // X-Scalelab-Cold-Start-Ms: it waited for a backend to start

  // With a body and no length, an HTTP/1.1 client gets it chunked (an HTTP/1.0 one
  // reads to the close).
  bool chunked() const { return !bodyless && !content_length && version == 11; }
};

template <class Fields>
void render_forwarded_response(std::string& out, const boost::beast::http::response_header<Fields>& res,
                               const ForwardedResponse& f) {
  namespace http = boost::beast::http;
  using namespace forwarded_detail;
  using namespace std::string_view_literals;
  out += f.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char status[8];
  out.append(status, std::to_chars(status, status + sizeof status, res.result_int()).ptr);
  out += ' ';
  append(out, res.reason().empty() ? http::obsolete_reason(res.result()) : res.reason());
  out += "\r\n"sv;
  const HopByHop hop(res);
  const bool reframed = !f.bodyless && f.content_length.has_value();
  bool has_request_id = false;
  for (const auto& field : res) {
    const http::field name = field.name();
    const auto sname = field.name_string();
    if (hop.drops(name, sname) || (reframed && name == http::field::content_length)) continue;
    if (f.cold_start_ms && named(name, sname, "X-Scalelab-Cold-Start-Ms")) continue;  // ours says how long
    has_request_id = has_request_id || named(name, sname, "X-Request-Id");
    append_field(out, sname, field.value());
  }
  if (reframed)
    append_length(out, *f.content_length);
  else if (f.chunked())
    append_field(out, "Transfer-Encoding", "chunked");
  if (!has_request_id) append_field(out, "X-Request-Id", {f.request_id.data(), f.request_id.size()});
  if (!f.set_cookie.empty()) append_field(out, "Set-Cookie", {f.set_cookie.data(), f.set_cookie.size()});
  if (f.cold_start_ms) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, *f.cold_start_ms).ptr;
    append_field(out, "X-Scalelab-Cold-Start-Ms", {digits, static_cast<std::size_t>(end - digits)});
  }
  // Connection was dropped as hop-by-hop; this is what Beast's keep_alive() then sets.
  if (f.version == 11 && !f.keep_alive) append_field(out, "Connection", "close");
  if (f.version == 10 && f.keep_alive) append_field(out, "Connection", "keep-alive");
  out += "\r\n"sv;
}

}  // namespace scalelab::balancer
