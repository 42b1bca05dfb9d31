// Uploads stream straight from the client to the blob store and back, never held whole
// in memory. The size limit is enforced twice: on the declared Content-Length before
// reading, and by counting bytes as they arrive, because cpp-httplib checks only the
// declared length and chunked bodies would otherwise bypass it (NOTES.md).
#include "common/ids.hpp"
#include "common/log.hpp"
#include "services/app/app.hpp"
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

// 416 unless every requested range starts inside the object.
void check_ranges(Exchange& ex, std::uint64_t size) {
  for (const auto& [first, last] : ex.req.ranges) {
    const bool suffix = first < 0;
    const bool ok = suffix ? last > 0 && size > 0 : static_cast<std::uint64_t>(first) < size && (last < 0 || last >= first);
    if (!ok) {
      ex.res.set_header("Content-Range", "bytes */" + std::to_string(size));
      throw HttpError(416, "range_not_satisfiable", "the object has " + std::to_string(size) + " bytes");
    }
  }
}

}  // namespace

void add_upload_routes(App& app) {
  app.router.add({"POST", "/api/uploads", RouteKind::api, true, [&app](Exchange& ex) {
                    require_session(ex);
                    const std::uint64_t limit = app.config.max_upload_bytes;
                    const bool multipart = ex.req.is_multipart_form_data();
                    const auto declared = declared_length(ex.req);
                    if (declared && *declared > limit) throw too_large(ex, limit);
                    std::string content_type = multipart ? "application/octet-stream"
                                                         : ex.req.get_header_value("Content-Type");
                    if (content_type.empty()) content_type = "application/octet-stream";
                    const std::string id = ids::random_token(16);
                    auto& blobs = app.stores.blobs(app.state.mode(store::Concern::uploads));
                    // A multipart body's length is not the file's: stream it as unknown.
                    const auto put = blobs.put(id, body_source(ex, limit, content_type),
                                               multipart ? std::nullopt : declared, content_type);
                    ex.send_json(201, {{"id", id}, {"size", put.size}, {"sha256", put.sha256}});
                  }});

  app.router.add({"GET", "/api/uploads/{id}", RouteKind::api, false, [&app](Exchange& ex) {
                    require_session(ex);
                    if (!ids::is_token(ex.param))
                      throw HttpError(400, "bad_upload_id", "upload ids are 22 characters of A-Z a-z 0-9 - _");
                    auto& blobs = app.stores.blobs(app.state.mode(store::Concern::uploads));
                    const auto info = blobs.head(ex.param);
                    app.metrics->upload_read(info.has_value());
                    if (!info) throw HttpError(404, "upload_not_found", "no upload " + ex.param + " in this instance's store");
                    check_ranges(ex, info->size);
                    ex.res.set_header("Accept-Ranges", "bytes");
                    if (info->size == 0) {
                      ex.res.set_content("", info->content_type);
                      return;
                    }
                    // cpp-httplib slices the ranges (206, Content-Range) and asks for exactly
                    // those bytes; each request becomes a ranged read from the store.
                    ex.res.set_content_provider(
                        info->size, info->content_type,
                        [&blobs, id = ex.param, size = info->size](std::size_t offset, std::size_t length,
                                                                   httplib::DataSink& sink) {
                          try {
                            const bool whole = offset == 0 && length == size;
                            auto found = blobs.get(id, whole ? std::nullopt : std::optional<store::ByteRange>({offset, length}),
                                                   [&](const char* d, std::size_t n) { return sink.write(d, n); });
                            return found.has_value();
                          } catch (const std::exception& e) {
                            // Headers are out already: all that is left is to cut the connection.
                            log::warn("upload stream failed", {{"upload", id}, {"cause", e.what()}});
                            return false;
                          }
                        });
                  }});
}

}  // namespace scalelab::app
