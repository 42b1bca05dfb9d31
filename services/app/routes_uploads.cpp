// Uploads stream straight from the client to the blob store and back, never held whole
// in memory. The size limit is enforced twice: on the declared Content-Length before
// reading, and by counting bytes as they arrive, because cpp-httplib checks only the
// declared length and chunked bodies would otherwise bypass it (CVE-2025-46728, not
// patched in Debian 12's 0.11.4). An upload
// belongs to the user who stored it (its owner, kept with the object); it is read back
// by that user only, with the Range rules of range_policy.hpp and the browser rules of
// upload_safety.hpp.
#include "common/http_range.hpp"
#include "common/ids.hpp"
#include "common/log.hpp"
#include "services/app/app.hpp"
#include "services/app/range_policy.hpp"
#include "services/app/upload_safety.hpp"
#include "store/bounded_sink.hpp"
#include "store/errors.hpp"

namespace scalelab::app {
namespace {

std::optional<std::uint64_t> declared_length(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return std::nullopt;
  if (!req.has_header("Content-Length")) return std::nullopt;
  auto n = parse_int(req.get_header_value("Content-Length"));
  if (!n) throw HttpError(400, "bad_content_length", "Content-Length must be a non-negative integer");
  return static_cast<std::uint64_t>(*n);
}

HttpError too_large(Exchange& ex, std::uint64_t limit) {
  ex.ctx.keep_alive = false;  // past kReadPastLimit, body bytes are left unread
  return HttpError(413, "payload_too_large", "uploads are limited to " + std::to_string(limit) + " bytes");
}

// Pushes the upload's bytes (the raw body, or the first file part of a multipart
// form) into the blob store's sink, counting them against the limit.
store::BodySource body_source(Exchange& ex, std::uint64_t limit, std::string& content_type) {
  return [&ex, limit, &content_type](const store::ChunkSink& sink) {
    std::uint64_t received = 0;
    bool over = false, sink_refused = false;
    auto receive = [&](const char* data, std::size_t n) {
      received += n;
      if (received > limit) {
        over = true;
        return received - limit <= kReadPastLimit;  // read on, dropping the bytes
      }
      if (!sink(data, n)) {
        sink_refused = true;
        return false;
      }
      return true;
    };
    bool complete;
    if (ex.req.is_multipart_form_data()) {
      int part = 0, chosen = -1;
      bool in_chosen = false;
      complete = (*ex.reader)(
          [&](const httplib::MultipartFormData& header) {
            ++part;
            in_chosen = chosen < 0 && !header.filename.empty();
            if (in_chosen) {
              chosen = part;
              if (!header.content_type.empty()) content_type = header.content_type;
            }
            return true;
          },
          [&](const char* data, std::size_t n) { return in_chosen ? receive(data, n) : true; });
      if (complete && chosen < 0) throw HttpError(400, "no_file_part", "the multipart form has no part with a filename");
    } else {
      complete = (*ex.reader)(receive);
    }
    if (over) throw too_large(ex, limit);
    if (sink_refused) throw store::StoreUnavailable("blob store", "the store stopped accepting the body");
    if (!complete) throw store::TruncatedBody("the upload ended before its declared length");
  };
}

// cpp-httplib reads a multipart body only with a boundary, taken as it takes it: what
// follows "boundary=", unquoted, not empty. Without one its reader fails as a cut-off
// body would, so the form is refused before any byte is read.
void require_boundary(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  const auto at = type.find("boundary=");
  std::string boundary = at == std::string::npos ? std::string() : type.substr(at + 9);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty())
    throw HttpError(400, "bad_multipart", "a multipart/form-data upload needs a boundary= in its Content-Type");
}

// Streams `slice` of upload `id` as the response body. The provider writes through a
// BoundedSink, so the response never carries a byte past the Content-Length it
// declared, whatever the store sends; a read that cannot deliver exactly the bytes
// asked for ends the response early, and cpp-httplib then closes the connection.
void stream_upload(Exchange& ex, store::BlobStore& blobs, const std::string& id, const store::BlobInfo& info,
                   http_range::Slice slice) {
  ex.res.set_content_provider(
      slice.length, info.content_type,
      [&blobs, id, slice, size = info.size](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        const store::ByteRange want{slice.offset + offset, length};
        const bool whole = want.offset == 0 && want.length == size;
        store::BoundedSink out([&sink](const char* d, std::size_t n) { return sink.write(d, n); }, length);
        try {
          const auto found = blobs.get(id, whole ? std::nullopt : std::optional<store::ByteRange>(want),
                                       [&out](const char* d, std::size_t n) { return out(d, n); });
          if (found && out.full() && !out.overran()) return true;
          if (!out.sink_stopped())  // else the client went away: nothing to report
            log::warn("upload stream cut", {{"upload", id},
                                            {"cause", !found ? "the upload vanished"
                                                      : out.overran() ? "the store sent more than asked for"
                                                                      : "the store sent less than asked for"}});
        } catch (const std::exception& e) {
          // Headers are out already: all that is left is to cut the connection.
          log::warn("upload stream failed", {{"upload", id}, {"cause", e.what()}});
        }
        return false;
      });
}

}  // namespace

void add_upload_routes(App& app) {
  app.router.add({"POST", "/api/uploads", RouteKind::api, true, [&app](Exchange& ex) {
                    const store::Session& session = require_session(ex);
                    const std::uint64_t limit = app.config.max_upload_bytes;
                    const bool multipart = ex.req.is_multipart_form_data();
                    if (multipart) require_boundary(ex.req);
                    const auto declared = declared_length(ex.req);
                    if (declared && *declared > limit) throw too_large(ex, limit);
                    std::string content_type = multipart ? "application/octet-stream"
                                                         : ex.req.get_header_value("Content-Type");
                    if (content_type.empty()) content_type = "application/octet-stream";
                    const std::string id = ids::random_token(16);
                    auto& blobs = app.stores.blobs(app.state.mode(store::Concern::uploads));
                    // A multipart body's length is not the file's: stream it as unknown.
                    const auto put = blobs.put(id, body_source(ex, limit, content_type),
                                               multipart ? std::nullopt : declared, content_type, session.user);
                    ex.send_json(201, {{"id", id}, {"size", put.size}, {"sha256", put.sha256}});
                  }});

  app.router.add({"GET", "/api/uploads/{id}", RouteKind::api, false, [&app](Exchange& ex) {
                    const store::Session& session = require_session(ex);
                    if (!ids::is_token(ex.param))
                      throw HttpError(400, "bad_upload_id", "upload ids are 22 characters of A-Z a-z 0-9 - _");
                    auto& blobs = app.stores.blobs(app.state.mode(store::Concern::uploads));
                    const auto info = blobs.head(ex.param);
                    // Another user's upload is answered exactly as a missing one, so its
                    // answer does not even tell that the id exists.
                    const bool mine = info && !info->owner.empty() && info->owner == session.user;
                    app.metrics->upload_read(!info  ? AppMetrics::UploadRead::missing
                                             : mine ? AppMetrics::UploadRead::found
                                                    : AppMetrics::UploadRead::foreign);
                    if (!mine) throw HttpError(404, "upload_not_found", "no upload " + ex.param + " in this instance's store");
                    ex.res.set_header("Accept-Ranges", "bytes");
                    const RangeAnswer range = choose_range(ex.req, info->size);
                    if (range.kind == RangeAnswer::unsatisfiable) {
                      ex.res.set_header("Content-Range", http_range::unsatisfied_range(info->size));
                      throw HttpError(416, "range_not_satisfiable", "the upload has " + std::to_string(info->size) + " bytes");
                    }
                    set_upload_safety_headers(ex.res, info->content_type);
                    ex.res.status = range.kind == RangeAnswer::partial ? 206 : 200;
                    if (range.kind == RangeAnswer::partial)
                      ex.res.set_header("Content-Range", http_range::content_range(range.slice, info->size));
                    if (info->size == 0) {
                      ex.res.set_content("", info->content_type);
                      return;
                    }
                    stream_upload(ex, blobs, ex.param, *info, range.slice);
                  }});
}

}  // namespace scalelab::app
