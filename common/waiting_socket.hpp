// A TCP client socket that Beast reads and writes with its synchronous API, and that
// waits only through waits.hpp: on a thread it blocks as a socket with a timeout does,
// on an event loop's fiber it parks the fiber and the loop serves the others. This is
// what lets one HTTP client (the S3 store's) be written once in blocking style and still
// never stall a loop, as the Redis and PostgreSQL clients do with hiredis and libpq.
//
// Contracts:
//  - every read and write is tried first and waits only when the socket is not ready;
//  - a wait longer than the socket's timeout ends the call with beast::error::timeout,
//    and the socket must not be reused after that (the caller closes it);
//  - the peer's close shows as asio::error::eof on a read, as Beast expects.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace scalelab::net {

class WaitingSocket {
 public:
  // Resolves `host` (on waits::run_blocking's threads when on a fiber: getaddrinfo only
  // blocks) and connects without blocking, within `connect_timeout`. Throws
  // std::runtime_error saying what failed.
  static WaitingSocket connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout,
                               std::chrono::milliseconds io_timeout);

  WaitingSocket(WaitingSocket&& other) noexcept;
  WaitingSocket& operator=(WaitingSocket&& other) noexcept;
  WaitingSocket(const WaitingSocket&) = delete;
  WaitingSocket& operator=(const WaitingSocket&) = delete;
  ~WaitingSocket();

  // False once the peer has closed the connection or sent bytes nobody asked for: an
  // idle keep-alive connection in that state must not carry another request.
  bool idle_and_open() const;

  // Beast's SyncReadStream and SyncWriteStream.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    Iov iov;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && iov.count < kMaxIov; ++it)
      iov.add(boost::asio::mutable_buffer(*it).data(), boost::asio::mutable_buffer(*it).size());
    return transfer(iov, false, ec);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    Iov iov;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && iov.count < kMaxIov; ++it)
      iov.add(const_cast<void*>(boost::asio::const_buffer(*it).data()), boost::asio::const_buffer(*it).size());
    return transfer(iov, true, ec);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return or_throw([&](boost::system::error_code& ec) { return read_some(buffers, ec); });
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    return or_throw([&](boost::system::error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  static constexpr int kMaxIov = 16;
  struct Iov {
    iovec v[kMaxIov];
    int count = 0;
    std::size_t bytes = 0;
    void add(void* data, std::size_t size) {
      v[count++] = iovec{data, size};
      bytes += size;
    }
  };

  WaitingSocket(int fd, std::chrono::milliseconds io_timeout) : fd_(fd), io_timeout_(io_timeout) {}
  template <class Transfer>
  static std::size_t or_throw(Transfer transfer) {
    boost::system::error_code ec;
    const std::size_t n = transfer(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  // One recvmsg or sendmsg, after a wait for readiness if the first try found none.
  std::size_t transfer(Iov& iov, bool write, boost::system::error_code& ec);

  int fd_ = -1;
  std::chrono::milliseconds io_timeout_;
};

}  // namespace scalelab::net
