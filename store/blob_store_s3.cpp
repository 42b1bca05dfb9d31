// Uploads in S3: path-style requests (/bucket/key) signed with Signature V4, over a
// bounded pool of keep-alive connections (s3_connection.hpp: Beast over a socket that
// waits through waits.hpp, so an event loop's fiber parks where a thread blocks). A body
// of known size streams out in one PUT (payload UNSIGNED-PAYLOAD, as S3 allows); a body
// of unknown size (chunked upload) is cut into 5 MiB parts of a multipart upload, the
// only way S3 accepts a body whose length is not known in advance. Downloads stream in
// pieces to the sink.
#include <charconv>

#include "common/crypto.hpp"
#include "common/waits.hpp"
#include "store/blob_store.hpp"
#include "store/bounded_pool.hpp"
#include "store/bounded_sink.hpp"
#include "store/errors.hpp"
#include "store/s3_connection.hpp"
#include "store/sigv4.hpp"

namespace scalelab::store {
namespace {

constexpr const char* kS3 = "s3";
// The S3 user metadata that names an object's owner (the uploader).
constexpr const char* kOwnerHeader = "x-amz-meta-owner";

struct Endpoint {
  std::string host;         // what is connected to
  std::uint16_t port = 80;
  std::string host_header;  // what is sent (and signed) as Host
};

// Plain HTTP only: the lab's S3 (s3rver, or whatever the endpoint names) is on loopback
// or the compose network, and the client speaks no TLS.
Endpoint parse_endpoint(const std::string& url) {
  std::string rest;
  const int default_port = 80;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    throw std::invalid_argument("S3 endpoint must be plain http:// (the S3 client speaks no TLS; got '" + url + "')");
  } else {
    throw std::invalid_argument("S3 endpoint must start with http:// (got '" + url + "')");
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
  Endpoint e{host, static_cast<std::uint16_t>(port), port == default_port ? host : rest};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') e.host = host.substr(1, host.size() - 2);
  return e;
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

using s3http::verb;

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(const S3Config& config, StoreMetrics& metrics)
      : config_(config),
        endpoint_(parse_endpoint(config.endpoint)),
        // Idle connections are closed after 2 s, well before the 5 s after which Node's
        // HTTP server (s3rver) closes them itself (bounded_pool.hpp says why).
        pool_({kS3, endpoint_.host_header, config.max_connections, config.io_timeout, std::chrono::milliseconds(50),
               std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)},
              [this] { return connect(); }, [](S3Connection& c) { return c.usable(); }),
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
    const S3Answer res = call(verb::head, object_path(key), {}, sigv4::kEmptyPayloadHash, "HEAD " + key);
    if (res.result_int() == 404) return t.found(std::optional<BlobInfo>());
    check_status(res, "HEAD " + key);
    return t.found(std::optional<BlobInfo>(BlobInfo{content_length(res), content_type_of(res), owner_of(res)}));
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
    const std::string asked = range ? "bytes=" + std::to_string(range->offset) + "-" +
                                          std::to_string(range->offset + range->length - 1)
                                    : std::string("the whole object");
    const std::string what = "GET " + key;
    auto lease = pool_.acquire();
    S3Fields fields = sign("GET", object_path(key), {}, sigv4::kEmptyPayloadHash);
    if (ranged) fields.emplace_back("Range", asked);
    const S3AnswerHead& answer = transport(lease, what, [&] {
      return std::cref(lease->start_streamed(verb::get, target(object_path(key)), fields));
    });
    const int status = answer.result_int();
    if (!ok_status(status)) {
      const std::string error_body = read_error_body(lease, what);
      if (status == 404) return t.found(std::optional<BlobInfo>());
      check_status(status, error_body, what);
    }
    const BlobInfo info{total_size(answer), content_type_of(answer), owner_of(answer)};
    if (const std::string mismatch = answer_mismatch(answer, range, ranged); !mismatch.empty()) {
      lease.discard();  // the rest of that answer is unread
      throw StoreError(kS3, what + ": asked for " + asked + ", got " + mismatch);
    }
    BoundedSink out(sink, range ? range->length : content_length(answer));
    char buf[16 * 1024];
    while (const std::size_t n = transport(lease, what, [&] { return lease->read_body(buf, sizeof buf); })) {
      if (out(buf, n)) continue;
      // Stopped on purpose: our reader went away, or a read from byte 0 got its range.
      // The object is fine; the connection holds the unread rest, so it goes.
      if (!lease->reusable()) lease.discard();
      t.ok();
      return info;
    }
    if (!lease->reusable()) lease.discard();  // the answer said Connection: close
    if (range && !out.full())
      throw StoreError(kS3, what + ": asked for " + asked + ", got " + std::to_string(out.passed()) +
                                " bytes (the object has " + std::to_string(info.size) + ")");
    return t.found(std::optional<BlobInfo>(info));
  }

  bool remove(const std::string& key) override {
    if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
    // S3 answers 204 whether or not the key existed; ask first so the answer is true.
    const bool existed = head(key).has_value();
    OpTimer t(remove_);
    const S3Answer res = call(verb::delete_, object_path(key), {}, sigv4::kEmptyPayloadHash, "DELETE " + key);
    if (res.result_int() != 404) check_status(res, "DELETE " + key);
    existed ? t.ok() : t.miss();
    return existed;
  }

  void check() override {
    const std::string path = "/" + config_.bucket;
    check_status(call(verb::head, path, {}, sigv4::kEmptyPayloadHash, "HEAD bucket " + config_.bucket),
                 "HEAD bucket " + config_.bucket);
  }

 private:
  using Lease = BoundedPool<S3Connection>::Lease;

  std::unique_ptr<S3Connection> connect() {
    try {
      return std::make_unique<S3Connection>(endpoint_.host, endpoint_.port, config_.connect_timeout, config_.io_timeout);
    } catch (const S3TransportError& e) {
      throw StoreUnavailable(kS3, e.what());
    }
  }

  // Runs one step of an exchange on the leased connection. A transport failure closes
  // the connection and becomes StoreUnavailable; so does nothing else.
  template <class Step>
  static auto transport(Lease& lease, const std::string& what, Step&& step) -> decltype(step()) {
    try {
      return step();
    } catch (const S3TransportError& e) {
      lease.discard();
      throw StoreUnavailable(kS3, what + ": " + e.what());
    }
  }

  // One whole request and answer on a connection from the pool, which goes back to the
  // pool only if the answer ended exactly where its framing said.
  S3Answer call(verb method, const std::string& path, const sigv4::Pairs& query, const std::string& payload_hash,
                const std::string& what, const sigv4::Pairs& extra = {}, const std::string& body = {},
                const std::string& content_type = {}) {
    auto lease = pool_.acquire();
    S3Fields fields = sign(std::string(s3http::to_string(method)), path, query, payload_hash, extra);
    if (!content_type.empty()) fields.emplace_back("Content-Type", content_type);
    S3Answer res = transport(lease, what, [&] { return lease->exchange(method, target(path, query), fields, body); });
    if (!lease->reusable()) lease.discard();
    return res;
  }

  // The first 4 KiB of an error answer's body, for its <Code>; the connection goes when
  // there was more.
  static std::string read_error_body(Lease& lease, const std::string& what) {
    std::string body;
    char buf[4096];
    while (body.size() < sizeof buf) {
      const std::size_t n = transport(lease, what, [&] { return lease->read_body(buf, sizeof buf - body.size()); });
      if (n == 0) break;
      body.append(buf, n);
    }
    if (!lease->reusable()) lease.discard();
    return body;
  }

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

  // The header fields of a signed request: Host, `extra` (signed too: AWS wants every
  // x-amz-* header signed), and the signature's own.
  S3Fields sign(const std::string& method, const std::string& path, const sigv4::Pairs& query,
                const std::string& payload_hash, const sigv4::Pairs& extra = {}) const {
    sigv4::Request req{method, path, query, {{"Host", endpoint_.host_header}}, payload_hash};
    req.headers.insert(req.headers.end(), extra.begin(), extra.end());
    sigv4::Options options;
    options.region = config_.region;
    options.service = "s3";
    auto s = sigv4::sign(req, {config_.access_key, config_.secret_key, config_.session_token}, options);
    S3Fields fields{{"Host", endpoint_.host_header}};
    fields.insert(fields.end(), extra.begin(), extra.end());
    fields.insert(fields.end(), s.headers_to_add.begin(), s.headers_to_add.end());
    return fields;
  }

  // The user metadata stored with a new object.
  static sigv4::Pairs object_metadata(const std::string& owner) {
    if (owner.empty()) return {};
    return {{kOwnerHeader, owner}};
  }

  static void check_status(int status, const std::string& body, const std::string& what) {
    if (ok_status(status)) return;
    const std::string code = error_code(body);
    const std::string cause = what + ": HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code);
    if (status >= 500 || status == 429) throw StoreUnavailable(kS3, cause);
    throw StoreError(kS3, cause);
  }
  static void check_status(const S3Answer& res, const std::string& what) {
    check_status(res.result_int(), res.body(), what);
  }

  static std::string field(const S3AnswerHead& r, const std::string& name) { return std::string(r[name]); }

  static std::uint64_t content_length(const S3AnswerHead& r) {
    const std::string v = field(r, "Content-Length");
    std::uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
  }

  // The whole object's size: Content-Length for a 200, the total of Content-Range for a 206.
  static std::uint64_t total_size(const S3AnswerHead& r) {
    const std::string range = field(r, "Content-Range");
    if (auto slash = range.rfind('/'); slash != std::string::npos) {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(range.data() + slash + 1, range.data() + range.size(), n);
      if (ec == std::errc()) return n;
    }
    return content_length(r);
  }

  static std::string content_type_of(const S3AnswerHead& r) {
    std::string type = field(r, "Content-Type");
    return type.empty() ? "application/octet-stream" : type;
  }

  static std::string owner_of(const S3AnswerHead& r) { return field(r, kOwnerHeader); }

  // Why a 2xx answer to a GET is not the one asked for, or "" when it is: a ranged GET
  // wants 206 with exactly that Content-Range and length; any other GET wants 200. Both
  // must declare their length, the bound on what is passed on.
  static std::string answer_mismatch(const S3AnswerHead& r, std::optional<ByteRange> range, bool ranged) {
    const std::string content_range = field(r, "Content-Range");
    const bool has_length = r.find("Content-Length") != r.end();
    const std::string described = "HTTP " + std::to_string(r.result_int()) +
                                  (content_range.empty() ? "" : " with Content-Range " + content_range) +
                                  (has_length ? "" : " without Content-Length");
    if (!ranged) return r.result_int() == 200 && has_length ? "" : described;
    const std::string expected = "bytes " + std::to_string(range->offset) + "-" +
                                 std::to_string(range->offset + range->length - 1) + "/";
    const bool exact = r.result_int() == 206 && content_range.rfind(expected, 0) == 0 &&
                       content_range.size() > expected.size() && has_length && content_length(r) == range->length;
    return exact ? "" : described;
  }

  // Known size: one PUT whose body goes out as the source pushes it.
  PutResult put_streamed(const std::string& key, const BodySource& body, std::uint64_t size,
                         const std::string& content_type, const sigv4::Pairs& metadata) {
    PutResult result;
    crypto::Sha256 hash;
    const std::string what = "PUT " + key;
    auto lease = pool_.acquire();
    S3Fields fields = sign("PUT", object_path(key), {}, sigv4::kUnsignedPayload, metadata);
    if (!content_type.empty()) fields.emplace_back("Content-Type", content_type);
    try {
      transport(lease, what, [&] { lease->send_head(verb::put, target(object_path(key)), fields, size); });
      body([&](const char* data, std::size_t n) {
        if (result.size + n > size) throw TruncatedBody("body is longer than its declared size");
        hash.update(data, n);
        result.size += n;
        transport(lease, what, [&] { lease->send_body(data, n); });
        return true;
      });
      if (result.size < size)
        throw TruncatedBody("body ended after " + std::to_string(result.size) + " of " + std::to_string(size) + " bytes");
    } catch (...) {
      lease.discard();  // closes the connection mid-body
      remove_debris(key);
      throw;
    }
    const S3Answer res = transport(lease, what, [&] { return lease->read_answer(); });
    if (!lease->reusable()) lease.discard();
    check_status(res, what);
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
        check_status(call(verb::put, object_path(key), {}, crypto::sha256_hex(part), "PUT " + key, metadata, part,
                          content_type),
                     "PUT " + key);
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

  std::string initiate_multipart(const std::string& key, const std::string& content_type,
                                 const sigv4::Pairs& metadata) {
    const std::string what = "initiate multipart " + key;
    const S3Answer res = call(verb::post, object_path(key), {{"uploads", ""}}, sigv4::kEmptyPayloadHash, what,
                              metadata, {}, content_type);
    check_status(res, what);
    std::string id = xml_value(res.body(), "UploadId");
    if (id.empty()) throw StoreError(kS3, what + ": no UploadId in the answer");
    return id;
  }

  std::string upload_part(const std::string& key, const std::string& upload_id, int number, const std::string& data) {
    const sigv4::Pairs query{{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    const std::string what = "upload part " + std::to_string(number) + " of " + key;
    const S3Answer res = call(verb::put, object_path(key), query, crypto::sha256_hex(data), what, {}, data,
                              "application/octet-stream");
    check_status(res, what);
    std::string etag = field(res, "ETag");
    if (etag.empty()) throw StoreError(kS3, what + ": no ETag in the answer");
    return etag;
  }

  void complete_multipart(const std::string& key, const std::string& upload_id, const std::vector<std::string>& etags) {
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    const std::string what = "complete multipart " + key;
    const S3Answer res = call(verb::post, object_path(key), {{"uploadId", upload_id}}, crypto::sha256_hex(xml), what,
                              {}, xml, "application/xml");
    check_status(res, what);
    // S3 may answer 200 and still report an error in the body.
    if (res.body().find("<Error>") != std::string::npos) throw StoreError(kS3, what + ": " + error_code(res.body()));
  }

  // A PUT cut off mid-body must leave nothing behind. S3 and MinIO discard it, but
  // s3rver stores the bytes it got once it notices the closed connection, a moment
  // later (longer when it is busy). The key was never acknowledged to anyone, so watch
  // it and delete what appears, until it has stayed absent for kDebrisQuiet (at most
  // kDebrisWatch). It holds this request that long; truncated uploads are rare.
  void remove_debris(const std::string& key) noexcept {
    constexpr auto kDebrisQuiet = std::chrono::milliseconds(300);
    constexpr auto kDebrisWatch = std::chrono::seconds(2);
    const auto start = std::chrono::steady_clock::now();
    auto absent_since = start;
    try {
      for (;;) {
        bool present = true;
        try {
          present = call(verb::head, object_path(key), {}, sigv4::kEmptyPayloadHash, "HEAD " + key).result_int() != 404;
        } catch (const StoreError&) {
        }
        const auto now = std::chrono::steady_clock::now();
        if (present) {
          try {
            call(verb::delete_, object_path(key), {}, sigv4::kEmptyPayloadHash, "DELETE " + key);
          } catch (const StoreError&) {
          }
          absent_since = now;
        } else if (now - absent_since >= kDebrisQuiet) {
          return;
        }
        if (now - start >= kDebrisWatch) return;
        waits::sleep_for(std::chrono::milliseconds(50));
      }
    } catch (...) {
    }
  }

  // Best effort: the upload failed already, and s3rver does not implement abort.
  void abort_multipart(const std::string& key, const std::string& upload_id) noexcept {
    try {
      call(verb::delete_, object_path(key), {{"uploadId", upload_id}}, sigv4::kEmptyPayloadHash,
           "abort multipart " + key);
    } catch (...) {
    }
  }

  S3Config config_;
  Endpoint endpoint_;
  BoundedPool<S3Connection> pool_;
  OpMetrics put_, head_, get_, remove_;
};

}  // namespace

std::unique_ptr<BlobStore> make_s3_blob_store(const S3Config& config, StoreMetrics& metrics) {
  return std::make_unique<S3BlobStore>(config, metrics);
}

}  // namespace scalelab::store
