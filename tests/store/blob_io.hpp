// Test helpers shared by the blob store suites: a body source that pushes a string in
// chunks, and a reader that collects an object (or a range of it) into a string.
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "store/blob_store.hpp"

namespace scalelab::testkit {

// The source keeps its own copy of `data`, so it may outlive the argument.
inline store::BodySource chunks_of(std::string data, std::size_t chunk = 64 * 1024) {
  return [data = std::move(data), chunk](const store::ChunkSink& sink) {
    for (std::size_t i = 0; i < data.size(); i += chunk) sink(data.data() + i, std::min(chunk, data.size() - i));
  };
}

inline std::string read_all(store::BlobStore& blobs, const std::string& key,
                            std::optional<store::ByteRange> range = std::nullopt) {
  std::string out;
  blobs.get(key, range, [&](const char* d, std::size_t n) {
    out.append(d, n);
    return true;
  });
  return out;
}

}  // namespace scalelab::testkit
