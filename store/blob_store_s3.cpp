// Uploads in S3: path-style requests (/bucket/key) signed with Signature V4, over a
// bounded pool of keep-alive cpp-httplib clients. A body of known size streams out in
// one PUT (payload UNSIGNED-PAYLOAD, as S3 allows); a body of unknown size (chunked
// upload) is cut into 5 MiB parts of a multipart upload, the only way S3 accepts a body
// whose length is not known in advance. Downloads stream in chunks to the sink.
#include <httplib.h>

#include <charconv>
#include <thread>

#include "common/crypto.hpp"
#include "common/waits.hpp"
#include "store/blob_store.hpp"
#include "store/bounded_pool.hpp"
#include "store/bounded_sink.hpp"
#include "store/errors.hpp"
#include "store/sigv4.hpp"

namespace scalelab::store {
namespace {

constexpr const char* kS3 = "s3";
// The S3 user metadata that names an object's owner (the uploader).
constexpr const char* kOwnerHeader = "x-amz-meta-owner";

struct Endpoint {
  std::string base_url;     // scheme://host:port, what httplib connects to
  std::string host_header;  // what is sent (and signed) as Host
};

Endpoint parse_endpoint(const std::string& url) {
  std::string rest;
  int default_port;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    default_port = 80;
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    default_port = 443;
  } else {
    throw std::invalid_argument("S3 endpoint must start with http:// or https:// (got '" + url + "')");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos)
    throw std::invalid_argument("S3 endpoint must be scheme://host[:port] (got '" + url + "')");
  std::string host = rest;
  int port = default_port;
  if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find(']') == std::string::npos) {
    host = rest.substr(0, colon);
    const std::string p = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port <= 0 || port > 65535)
      throw std::invalid_argument("S3 endpoint has a bad port (got '" + url + "')");
  }
  const std::string scheme = default_port == 443 ? "https://" : "http://";
  return Endpoint{scheme + host + ":" + std::to_string(port), port == default_port ? host : rest};
}

// The <Code> of an S3 XML error body, for messages.
std::string error_code(const std::string& body) {
  const auto start = body.find("<Code>");
  const auto end = body.find("</Code>");
  if (start == std::string::npos || end == std::string::npos || end < start) return {};
  return body.substr(start + 6, end - start - 6);
}

std::string xml_value(const std::string& body, const std::string& tag) {
  const auto start = body.find("<" + tag + ">");
  const auto end = body.find("</" + tag + ">");
  if (start == std::string::npos || end == std::string::npos || end < start) return {};
  return body.substr(start + tag.size() + 2, end - start - tag.size() - 2);
}

bool ok_status(int status) { return status >= 200 && status < 300; }

struct Http {
  httplib::Client client;
  Http(const std::string& base_url, const S3Config& config) : client(base_url) {
    auto secs = [](std::chrono::milliseconds ms) { return std::make_pair(ms.count() / 1000, (ms.count() % 1000) * 1000); };
    auto [cs, cu] = secs(config.connect_timeout);
    auto [is, iu] = secs(config.io_timeout);
    client.set_connection_timeout(cs, cu);
    client.set_read_timeout(is, iu);
    client.set_write_timeout(is, iu);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_url_encode(false);  // paths are encoded here, exactly as they are signed
    client.set_decompress(false);
  }
};

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(const S3Config& config, StoreMetrics& metrics)
      : config_(config),
        endpoint_(parse_endpoint(config.endpoint)),
        // Idle connections are closed after 2 s, well before the 5 s after which Node's
        // HTTP server (s3rver) closes them itself (bounded_pool.hpp says why).
        pool_({kS3, endpoint_.host_header, config.max_connections, config.io_timeout, std::chrono::milliseconds(50),
               std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)},
              [this] { return std::make_unique<Http>(endpoint_.base_url, config_); },
              [](Http& h) { return h.client.is_valid(); }),
        put_(metrics.op(kS3, "blob_put")),
        head_(metrics.op(kS3, "blob_head")),
        get_(metrics.op(kS3, "blob_get")),
        remove_(metrics.op(kS3, "blob_remove")) {
    if (config_.bucket.empty()) throw std::invalid_argument("S3 bucket name is empty");
    if (config_.part_size < 5 * 1024 * 1024) throw std::invalid_argument("S3 part size must be at least 5 MiB");
  }

  const char* backend() const override { return kS3; }

  PutResult put(const std::string& key, const BodySource& body, std::optional<std::uint64_t> size,
                const std::string& content_type, const std::string& owner) override {
    if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
    if (!is_valid_blob_owner(owner)) throw std::invalid_argument("invalid blob owner '" + owner + "'");
    OpTimer t(put_);
    const sigv4::Pairs metadata = object_metadata(owner);
    PutResult result = size && *size > 0 ? put_streamed(key, body, *size, content_type, metadata)
                                         : put_buffered(key, body, content_type, metadata);
    t.ok();
    return result;
  }

  std::optional<BlobInfo> head(const std::string& key) override {
    if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
    OpTimer t(head_);
    auto lease = pool_.acquire();
    auto res = lease->client.Head(target(object_path(key)), sign("HEAD", object_path(key), {}, sigv4::kEmptyPayloadHash));
    if (!res) transport_failure(lease, "HEAD " + key, res.error());
    if (res->status == 404) return t.found(std::optional<BlobInfo>());
    check_status(res->status, res->body, "HEAD " + key);
    return t.found(std::optional<BlobInfo>(BlobInfo{content_length(*res), content_type_of(*res), owner_of(*res)}));
  }

  // The range goes to S3 only to skip a prefix: a read from byte 0 is a plain GET cut
  // off after `length` bytes, which also keeps clear of s3rver 3.7.1 reading the end of
  // "bytes=0-0" as "no end". A ranged answer must be a 206 whose Content-Range is
  // exactly the range asked for; the bytes reach the sink through a BoundedSink, so
  // none past the range ever does.
  std::optional<BlobInfo> get(const std::string& key, std::optional<ByteRange> range, const ChunkSink& sink) override {
    if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
    OpTimer t(get_);
    const bool ranged = range && range->offset > 0;
    auto lease = pool_.acquire();
    httplib::Headers headers = sign("GET", object_path(key), {}, sigv4::kEmptyPayloadHash);
    const std::string asked = range ? "bytes=" + std::to_string(range->offset) + "-" +
                                          std::to_string(range->offset + range->length - 1)
                                    : std::string("the whole object");
    if (ranged) headers.emplace("Range", asked);
    int status = 0;
    BlobInfo info;
    std::string error_body, mismatch;
    std::optional<BoundedSink> out;
    auto res = lease->client.Get(
        target(object_path(key)), headers,
        [&](const httplib::Response& r) {
          status = r.status;
          if (!ok_status(status)) return true;  // read the error body
          info = BlobInfo{total_size(r), content_type_of(r), owner_of(r)};
          mismatch = answer_mismatch(r, range, ranged);
          if (!mismatch.empty()) return false;
          out.emplace(sink, range ? range->length : content_length(r));
          return true;
        },
        [&](const char* data, std::size_t n) {
          if (!out) {
            if (error_body.size() < 4096) error_body.append(data, n);
            return true;
          }
          return (*out)(data, n);
        });
    if (!mismatch.empty()) {
      lease.discard();  // the rest of that answer is unread
      throw StoreError(kS3, "GET " + key + ": asked for " + asked + ", got " + mismatch);
    }
    if (!res) {
      // Stopped on purpose: our reader went away, or a read from byte 0 got its range.
      // The object is fine; the connection holds the unread rest, so it goes.
      if (out && (out->sink_stopped() || (!ranged && range && out->full()))) {
        lease.discard();
        t.ok();
        return info;
      }
      transport_failure(lease, "GET " + key, res.error());
    }
    if (status == 404) return t.found(std::optional<BlobInfo>());
    check_status(status, error_body, "GET " + key);
    if (out && range && !out->full())
      throw StoreError(kS3, "GET " + key + ": asked for " + asked + ", got " + std::to_string(out->passed()) +
                                " bytes (the object has " + std::to_string(info.size) + ")");
    return t.found(std::optional<BlobInfo>(info));
  }

  bool remove(const std::string& key) override {
    if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
    // S3 answers 204 whether or not the key existed; ask first so the answer is true.
    const bool existed = head(key).has_value();
    OpTimer t(remove_);
    auto lease = pool_.acquire();
    auto res = lease->client.Delete(target(object_path(key)),
                                    sign("DELETE", object_path(key), {}, sigv4::kEmptyPayloadHash));
    if (!res) transport_failure(lease, "DELETE " + key, res.error());
    if (res->status != 404) check_status(res->status, res->body, "DELETE " + key);
    existed ? t.ok() : t.miss();
    return existed;
  }

  void check() override {
    auto lease = pool_.acquire();
    const std::string path = "/" + config_.bucket;
    auto res = lease->client.Head(target(path), sign("HEAD", path, {}, sigv4::kEmptyPayloadHash));
    if (!res) transport_failure(lease, "HEAD bucket " + config_.bucket, res.error());
    check_status(res->status, res->body, "HEAD bucket " + config_.bucket);
  }

 private:
  using Lease = BoundedPool<Http>::Lease;

  std::string object_path(const std::string& key) const { return "/" + config_.bucket + "/" + key; }

  static std::string target(const std::string& path, const sigv4::Pairs& query = {}) {
    std::string t = sigv4::uri_encode(path, false);
    char sep = '?';
    for (const auto& [k, v] : query) {
      t += sep + sigv4::uri_encode(k, true);
      if (!v.empty()) t += "=" + sigv4::uri_encode(v, true);
      sep = '&';
    }
    return t;
  }

  // The headers of a signed request: Host, `extra` (signed too: AWS wants every
  // x-amz-* header signed), and the signature's own.
  httplib::Headers sign(const std::string& method, const std::string& path, const sigv4::Pairs& query,
                        const std::string& payload_hash, const sigv4::Pairs& extra = {}) const {
    sigv4::Request req{method, path, query, {{"Host", endpoint_.host_header}}, payload_hash};
    req.headers.insert(req.headers.end(), extra.begin(), extra.end());
    sigv4::Options options;
    options.region = config_.region;
    options.service = "s3";
    auto s = sigv4::sign(req, {config_.access_key, config_.secret_key, config_.session_token}, options);
    httplib::Headers headers{{"Host", endpoint_.host_header}};
    for (const auto& [k, v] : extra) headers.emplace(k, v);
    for (auto& [k, v] : s.headers_to_add) headers.emplace(k, v);
    return headers;
  }

  // The user metadata stored with a new object.
  static sigv4::Pairs object_metadata(const std::string& owner) {
    if (owner.empty()) return {};
    return {{kOwnerHeader, owner}};
  }

  [[noreturn]] static void transport_failure(Lease& lease, const std::string& what, httplib::Error error) {
    lease.discard();
    throw StoreUnavailable(kS3, what + ": " + httplib::to_string(error));
  }

  static void check_status(int status, const std::string& body, const std::string& what) {
    if (ok_status(status)) return;
    const std::string code = error_code(body);
    const std::string cause = what + ": HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code);
    if (status >= 500 || status == 429) throw StoreUnavailable(kS3, cause);
    throw StoreError(kS3, cause);
  }

  static std::uint64_t content_length(const httplib::Response& r) {
    const std::string v = r.get_header_value("Content-Length");
    std::uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
  }

  // The whole object's size: Content-Length for a 200, the total of Content-Range for a 206.
  static std::uint64_t total_size(const httplib::Response& r) {
    const std::string range = r.get_header_value("Content-Range");
    if (auto slash = range.rfind('/'); slash != std::string::npos) {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(range.data() + slash + 1, range.data() + range.size(), n);
      if (ec == std::errc()) return n;
    }
    return content_length(r);
  }

  static std::string content_type_of(const httplib::Response& r) {
    std::string type = r.get_header_value("Content-Type");
    return type.empty() ? "application/octet-stream" : type;
  }

  static std::string owner_of(const httplib::Response& r) { return r.get_header_value(kOwnerHeader); }

  // Why a 2xx answer to a GET is not the one asked for, or "" when it is: a ranged GET
  // wants 206 with exactly that Content-Range and length; any other GET wants 200. Both
  // must declare their length, the bound on what is passed on.
  static std::string answer_mismatch(const httplib::Response& r, std::optional<ByteRange> range, bool ranged) {
    const std::string content_range = r.get_header_value("Content-Range");
    const std::string described = "HTTP " + std::to_string(r.status) +
                                  (content_range.empty() ? "" : " with Content-Range " + content_range) +
                                  (r.has_header("Content-Length") ? "" : " without Content-Length");
    if (!ranged) return r.status == 200 && r.has_header("Content-Length") ? "" : described;
    const std::string expected = "bytes " + std::to_string(range->offset) + "-" +
                                 std::to_string(range->offset + range->length - 1) + "/";
    const bool exact = r.status == 206 && content_range.rfind(expected, 0) == 0 &&
                       content_range.size() > expected.size() && r.has_header("Content-Length") &&
                       content_length(r) == range->length;
    return exact ? "" : described;
  }

  // Known size: one PUT whose body is pulled from the source as httplib writes it.
  PutResult put_streamed(const std::string& key, const BodySource& body, std::uint64_t size,
                         const std::string& content_type, const sigv4::Pairs& metadata) {
    PutResult result;
    crypto::Sha256 hash;
    std::exception_ptr body_error;
    bool pushed = false;
    auto lease = pool_.acquire();
    auto res = lease->client.Put(
        target(object_path(key)), sign("PUT", object_path(key), {}, sigv4::kUnsignedPayload, metadata), size,
        [&](std::size_t, std::size_t, httplib::DataSink& out) {
          // The source pushes the whole body in the first call; a second call means it
          // came up short of the declared size.
          if (pushed) {
            body_error = std::make_exception_ptr(TruncatedBody(
                "body ended after " + std::to_string(result.size) + " of " + std::to_string(size) + " bytes"));
            return false;
          }
          pushed = true;
          try {
            body([&](const char* data, std::size_t n) {
              if (result.size + n > size) throw TruncatedBody("body is longer than its declared size");
              hash.update(data, n);
              result.size += n;
              if (!out.write(data, n)) throw StoreUnavailable(kS3, "PUT " + key + ": write to S3 failed");
              return true;
            });
          } catch (...) {
            body_error = std::current_exception();
            return false;
          }
          return true;
        },
        content_type);
    if (body_error) {
      lease.discard();  // closes the connection mid-body
      remove_debris(key);
      std::rethrow_exception(body_error);
    }
    if (!res) transport_failure(lease, "PUT " + key, res.error());
    check_status(res->status, res->body, "PUT " + key);
    result.sha256 = hash.hex_digest();
    return result;
  }

  // Unknown size: buffer up to one part; a body that fits is one signed PUT, a larger
  // one becomes a multipart upload of part_size pieces.
  PutResult put_buffered(const std::string& key, const BodySource& body, const std::string& content_type,
                         const sigv4::Pairs& metadata) {
    PutResult result;
    crypto::Sha256 hash;
    std::string part;
    std::string upload_id;
    std::vector<std::string> etags;
    auto flush = [&] {
      if (upload_id.empty()) upload_id = initiate_multipart(key, content_type, metadata);
      etags.push_back(upload_part(key, upload_id, static_cast<int>(etags.size()) + 1, part));
      part.clear();
    };
    try {
      body([&](const char* data, std::size_t n) {
        hash.update(data, n);
        result.size += n;
        while (n > 0) {
          const std::size_t take = std::min(n, config_.part_size - part.size());
          part.append(data, take);
          data += take;
          n -= take;
          if (part.size() == config_.part_size) flush();
        }
        return true;
      });
      if (upload_id.empty()) {
        put_whole(key, part, content_type, metadata);
      } else {
        if (!part.empty()) flush();
        complete_multipart(key, upload_id, etags);
      }
    } catch (...) {
      if (!upload_id.empty()) abort_multipart(key, upload_id);
      throw;
    }
    result.sha256 = hash.hex_digest();
    return result;
  }

  void put_whole(const std::string& key, const std::string& data, const std::string& content_type,
                 const sigv4::Pairs& metadata) {
    auto lease = pool_.acquire();
    auto res = lease->client.Put(target(object_path(key)),
                                 sign("PUT", object_path(key), {}, crypto::sha256_hex(data), metadata), data,
                                 content_type);
    if (!res) transport_failure(lease, "PUT " + key, res.error());
    check_status(res->status, res->body, "PUT " + key);
  }

  std::string initiate_multipart(const std::string& key, const std::string& content_type,
                                 const sigv4::Pairs& metadata) {
    const sigv4::Pairs query{{"uploads", ""}};
    auto lease = pool_.acquire();
    auto headers = sign("POST", object_path(key), query, sigv4::kEmptyPayloadHash, metadata);
    headers.emplace("Content-Type", content_type);
    auto res = lease->client.Post(target(object_path(key), query), headers);
    if (!res) transport_failure(lease, "initiate multipart " + key, res.error());
    check_status(res->status, res->body, "initiate multipart " + key);
    std::string id = xml_value(res->body, "UploadId");
    if (id.empty()) throw StoreError(kS3, "initiate multipart " + key + ": no UploadId in the answer");
    return id;
  }

  std::string upload_part(const std::string& key, const std::string& upload_id, int number, const std::string& data) {
    const sigv4::Pairs query{{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    auto lease = pool_.acquire();
    auto res = lease->client.Put(target(object_path(key), query),
                                 sign("PUT", object_path(key), query, crypto::sha256_hex(data)), data,
                                 "application/octet-stream");
    const std::string what = "upload part " + std::to_string(number) + " of " + key;
    if (!res) transport_failure(lease, what, res.error());
    check_status(res->status, res->body, what);
    std::string etag = res->get_header_value("ETag");
    if (etag.empty()) throw StoreError(kS3, what + ": no ETag in the answer");
    return etag;
  }

  void complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<std::string>& etags) {
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    const sigv4::Pairs query{{"uploadId", upload_id}};
    auto lease = pool_.acquire();
    auto res = lease->client.Post(target(object_path(key), query),
                                  sign("POST", object_path(key), query, crypto::sha256_hex(xml)), xml,
                                  "application/xml");
    if (!res) transport_failure(lease, "complete multipart " + key, res.error());
    check_status(res->status, res->body, "complete multipart " + key);
    // S3 may answer 200 and still report an error in the body.
    if (res->body.find("<Error>") != std::string::npos)
      throw StoreError(kS3, "complete multipart " + key + ": " + error_code(res->body));
  }

  // A PUT cut off mid-body must leave nothing behind. S3 and MinIO discard it, but
  // s3rver stores the bytes it got once it notices the closed connection, a moment
  // later (longer when it is busy). The key was never acknowledged to anyone, so watch
  // it and delete what appears, until it has stayed absent for kDebrisQuiet (at most
  // kDebrisWatch). It holds this worker that long; truncated uploads are rare.
  void remove_debris(const std::string& key) noexcept {
    constexpr auto kDebrisQuiet = std::chrono::milliseconds(300);
    constexpr auto kDebrisWatch = std::chrono::seconds(2);
    const auto start = std::chrono::steady_clock::now();
    auto absent_since = start;
    try {
      for (;;) {
        {
          auto lease = pool_.acquire();  // back to the pool while waiting
          auto head = lease->client.Head(target(object_path(key)),
                                         sign("HEAD", object_path(key), {}, sigv4::kEmptyPayloadHash));
          const auto now = std::chrono::steady_clock::now();
          if (!head || head->status != 404) {
            lease->client.Delete(target(object_path(key)),
                                 sign("DELETE", object_path(key), {}, sigv4::kEmptyPayloadHash));
            absent_since = now;
          } else if (now - absent_since >= kDebrisQuiet) {
            return;
          }
          if (now - start >= kDebrisWatch) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (...) {
    }
  }

  // Best effort: the upload failed already, and s3rver does not implement abort.
  void abort_multipart(const std::string& key, const std::string& upload_id) noexcept {
    try {
      const sigv4::Pairs query{{"uploadId", upload_id}};
      auto lease = pool_.acquire();
      lease->client.Delete(target(object_path(key), query),
                           sign("DELETE", object_path(key), query, sigv4::kEmptyPayloadHash));
    } catch (...) {
    }
  }

  S3Config config_;
  Endpoint endpoint_;
  BoundedPool<Http> pool_;
  OpMetrics put_, head_, get_, remove_;
};

// cpp-httplib's client only blocks. On an event loop's fiber, each call of the S3 store
// runs on waits.hpp's pool of threads for blocking calls, and the fiber parks until it
// returns, as Node runs file I/O on libuv's pool: the loop serves other requests
// meanwhile, and at most that pool's threads talk to S3 at once. (The body's bytes
// move between the client's socket and S3 on that thread; the fiber that owns the
// socket is parked the whole time, so nothing else touches it.)
class OffLoopBlobStore final : public BlobStore {
 public:
  explicit OffLoopBlobStore(std::unique_ptr<BlobStore> inner) : inner_(std::move(inner)) {}
  const char* backend() const override { return inner_->backend(); }
  PutResult put(const std::string& key, const BodySource& body, std::optional<std::uint64_t> size,
                const std::string& content_type, const std::string& owner) override {
    return waits::run_blocking([&] { return inner_->put(key, body, size, content_type, owner); });
  }
  std::optional<BlobInfo> head(const std::string& key) override {
    return waits::run_blocking([&] { return inner_->head(key); });
  }
  std::optional<BlobInfo> get(const std::string& key, std::optional<ByteRange> range, const ChunkSink& sink) override {
    return waits::run_blocking([&] { return inner_->get(key, range, sink); });
  }
  bool remove(const std::string& key) override {
    return waits::run_blocking([&] { return inner_->remove(key); });
  }
  void check() override {
    waits::run_blocking([&] { inner_->check(); });
  }

 private:
  std::unique_ptr<BlobStore> inner_;
};

}  // namespace

std::unique_ptr<BlobStore> make_s3_blob_store(const S3Config& config, StoreMetrics& metrics) {
  return std::make_unique<OffLoopBlobStore>(std::make_unique<S3BlobStore>(config, metrics));
}

}  // namespace scalelab::store
