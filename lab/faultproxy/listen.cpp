#include "lab/faultproxy/listen.hpp"

#include <system_error>

namespace scalelab::faultproxy {

using boost::asio::ip::tcp;

namespace {

[[noreturn]] void raise(const boost::system::error_code& ec, const std::string& what) {
  throw std::system_error(std::error_code(ec.value(), std::system_category()), what);
}

}  // namespace

tcp::endpoint resolve_endpoint(boost::asio::io_context& io, const net::HostPort& address) {
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) raise(ec ? ec : boost::asio::error::host_not_found, "resolve " + address.str());
  return results.begin()->endpoint();
}

boost::system::error_code listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  }
  return ec;
}

void listen_or_throw(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, const std::string& what) {
  if (const auto ec = listen_on(acceptor, endpoint))
    raise(ec, what + ": listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()));
}

}  // namespace scalelab::faultproxy
