// Decides which headers cross the proxy. Hop-by-hop headers describe one
// connection, not the message, so they are dropped in both directions: Connection,
// every header Connection names, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization, TE, Trailer, Transfer-Encoding and Upgrade. Framing
// (Content-Length or chunked) is then re-applied by the caller from what the parser
// actually read, so the two sides of the proxy never disagree about where a message
// ends (the root of request smuggling). Requests also gain X-Forwarded-For and
// X-Forwarded-Proto here (X-Request-Id: proxy_session.cpp, with common/ids.hpp).
//
// The proxy does not edit the parsed fields: it renders the forwarded head with the
// edits applied (forwarded_head.hpp), asking HopByHop which fields to leave out. The
// editing functions below apply the same rules to a fields container.
#pragma once

#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"

namespace scalelab::balancer {

// The hop-by-hop verdict for the fields of one message. It keeps views of the names
// Connection lists, so the fields must not change while it is in use.
class HopByHop {
 public:
  template <class Fields>
  explicit HopByHop(const Fields& fields) {
    namespace http = boost::beast::http;
    for (auto it = fields.find(http::field::connection); it != fields.end() && it->name() == http::field::connection;
         ++it) {
      for (auto token : http::token_list{it->value()}) {
        // A client must not be able to strip these from the forwarded message.
        if (text::iequals(token, "host") || text::iequals(token, "content-length")) continue;
        add_listed({token.data(), token.size()});
      }
    }
  }

  // True when the field named `name` (`f` when Beast knows it) must not cross.
  bool drops(boost::beast::http::field f, boost::beast::string_view name) const;

 private:
  void add_listed(std::string_view name);

  // Listed names: a few inline, more (a hostile Connection header) on the heap.
  std::array<std::string_view, 8> listed_{};
  std::size_t count_ = 0;
  std::vector<std::string_view> more_;
};

// Removes the hop-by-hop headers listed above from `fields`. Names listed in
// Connection are removed too, except Host and Content-Length.
template <class Fields>
void strip_hop_by_hop(Fields& fields) {
  namespace http = boost::beast::http;
  {
    // The verdict points into the Connection values: erase those last.
    const HopByHop hop(fields);
    for (auto it = fields.begin(); it != fields.end();) {
      const bool drop = it->name() != http::field::connection && hop.drops(it->name(), it->name_string());
      it = drop ? fields.erase(it) : std::next(it);
    }
  }
  fields.erase(http::field::connection);
}

// True for the header that carries the chain of client addresses.
bool is_forwarded_for(boost::beast::http::field f, boost::beast::string_view name);

// Appends the X-Forwarded-For value the proxy sends: the values of the fields `keep`
// accepts among those named X-Forwarded-For, joined by ", ", then `client_ip`.
template <class Fields, class Keep>
void append_forwarded_for(std::string& out, const Fields& fields, Keep keep, std::string_view client_ip) {
  for (const auto& f : fields) {
    if (!is_forwarded_for(f.name(), f.name_string()) || !keep(f)) continue;
    out.append(f.value().data(), f.value().size());
    out += ", ";
  }
  out += client_ip;
}

// Appends `client_ip` to X-Forwarded-For (joining repeated headers into one), and sets
// X-Forwarded-Proto to `proto`.
template <class Fields>
void add_forwarded_for(Fields& fields, std::string_view client_ip, std::string_view proto) {
  std::string chain;
  append_forwarded_for(chain, fields, [](const auto&) { return true; }, client_ip);
  fields.set("X-Forwarded-For", chain);
  fields.set("X-Forwarded-Proto", boost::beast::string_view(proto.data(), proto.size()));
}

}  // namespace scalelab::balancer
