// A sink that passes on at most a set number of bytes. Whoever streams an object (or
// a range of it) to a client has declared its length before the first byte; a store
// that sends more (s3rver answers "bytes=0-0" with the whole object) must not push the
// surplus after it, where the client would read it as the start of the next response.
// The S3 backend and the app's response both write through one, so the bound holds in
// every path.
#pragma once

#include <cstdint>
#include <utility>

#include "store/blob_store.hpp"

namespace scalelab::store {

class BoundedSink {
 public:
  BoundedSink(ChunkSink sink, std::uint64_t limit) : sink_(std::move(sink)), limit_(limit) {}

  // Passes the chunk on, cut at the limit. False stops the transfer: bytes past the
  // limit were offered (and dropped), or the wrapped sink stopped.
  bool operator()(const char* data, std::size_t n) {
    const std::uint64_t room = limit_ - passed_;
    const std::size_t take = n < room ? n : static_cast<std::size_t>(room);
    if (take > 0) {
      if (!sink_(data, take)) {
        sink_stopped_ = true;
        return false;
      }
      passed_ += take;
    }
    if (take < n) {
      overran_ = true;
      return false;
    }
    return true;
  }

  std::uint64_t passed() const { return passed_; }
  bool full() const { return passed_ == limit_; }
  bool overran() const { return overran_; }          // more than the limit was offered
  bool sink_stopped() const { return sink_stopped_; }  // the wrapped sink asked to stop

 private:
  ChunkSink sink_;
  std::uint64_t limit_;
  std::uint64_t passed_ = 0;
  bool overran_ = false;
  bool sink_stopped_ = false;
};

}  // namespace scalelab::store
