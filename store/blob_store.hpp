// Uploads: bytes a user sent that must come back intact from any instance. Shared
// backend: S3 (s3rver locally, MinIO or AWS elsewhere). Local backend: files in the
// instance's own data folder, which the other instances cannot see: uploads missing.
//
// Bodies stream in both directions: put() pulls the body from a source that pushes
// chunks, get() pushes chunks into a sink. Neither holds an object whole in memory
// (the S3 backend buffers at most one multipart part when the size is unknown).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/store_metrics.hpp"

namespace scalelab::store {

struct BlobInfo {
  std::uint64_t size = 0;
  std::string content_type;
  std::string owner;  // the user who stored it, as given to put(); "" when none was
};

struct PutResult {
  std::uint64_t size = 0;
  std::string sha256;  // lowercase hex of the stored bytes
};

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // >= 1; offset + length <= object size
};

// Receives a chunk; returns false to stop the transfer early (the client went away).
using ChunkSink = std::function<bool(const char* data, std::size_t size)>;
// Pushes the whole body into the sink it is given. Throws to abort the upload (for
// example PayloadTooLarge, or TruncatedBody when the client stopped sending).
using BodySource = std::function<void(const ChunkSink& sink)>;

// The body ended before its declared size, or went past it.
class TruncatedBody : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A key both backends accept: 1 to 200 characters of [A-Za-z0-9._-], not starting with
// '.'. Nothing else can name a path outside the store's folder.
bool is_valid_blob_key(std::string_view key);
// An owner both backends can keep: at most 200 characters, each printable ASCII other
// than a space (S3 user metadata is US-ASCII); "" for none.
bool is_valid_blob_owner(std::string_view owner);

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual const char* backend() const = 0;
  // Stores the body under `key`. `size` is the exact length when known, nullopt when
  // not (a chunked upload). The object appears only once complete: an aborted or short
  // body leaves nothing behind. Throws std::invalid_argument for a bad key.
  // `content_type` is read when the first byte is stored (at the end for an empty
  // body), except when `size` is known, where it is read at once: a source that learns
  // the type from the body itself (a multipart part header) may set it before pushing.
  // `owner` is kept with the object and comes back in BlobInfo (S3: x-amz-meta-owner;
  // local: the object's metadata file).
  virtual PutResult put(const std::string& key, const BodySource& body, std::optional<std::uint64_t> size,
                        const std::string& content_type, const std::string& owner) = 0;
  // Size and type, or nullopt if there is no such object.
  virtual std::optional<BlobInfo> head(const std::string& key) = 0;
  // Streams the object, or `range` of it, into `sink`: exactly those bytes, never one
  // past them, whatever the backend sent. nullopt if there is no such object. Throws
  // StoreError when the backend answered with other bytes than asked for (another range,
  // or fewer bytes than the range holds), which may be after some reached the sink. The
  // returned size is the whole object's.
  virtual std::optional<BlobInfo> get(const std::string& key, std::optional<ByteRange> range,
                                      const ChunkSink& sink) = 0;
  // Deletes it. True if it existed.
  virtual bool remove(const std::string& key) = 0;
  // Throws StoreUnavailable (or StoreError) unless the backend answers and the bucket
  // or folder is usable. For readiness probes.
  virtual void check() = 0;
};

struct S3Config {
  std::string endpoint = "http://127.0.0.1:4568";  // scheme://host[:port]
  std::string bucket = "scalelab";
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds io_timeout{5000};
  std::size_t max_connections = 8;
  std::size_t part_size = 5 * 1024 * 1024;  // S3's minimum part size
};

// Shared: S3 over HTTP, path-style (/bucket/key), signed with Signature V4. Throws
// std::invalid_argument for a malformed endpoint.
std::unique_ptr<BlobStore> make_s3_blob_store(const S3Config& config, StoreMetrics& metrics);
// Local: files under `folder` (created if missing).
std::unique_ptr<BlobStore> make_local_blob_store(const std::string& folder, StoreMetrics& metrics);

}  // namespace scalelab::store
