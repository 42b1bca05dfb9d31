// Uploads on the instance's own disk. Objects live in <folder>/objects, their metadata
// in <folder>/meta (one file per object: the content type on the first line, the owner
// on the second), and a body is written to <folder>/tmp first and renamed into place
// once complete, so a reader never sees half an upload.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "store/blob_store.hpp"
#include "store/errors.hpp"

namespace scalelab::store {

bool is_valid_blob_key(std::string_view key) {
  if (key.empty() || key.size() > 200 || key.front() == '.') return false;
  for (char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_blob_owner(std::string_view owner) {
  if (owner.size() > 200) return false;
  for (char c : owner)
    if (c <= ' ' || c > '~') return false;
  return true;
}

namespace {

namespace fs = std::filesystem;
constexpr const char* kLocalDisk = "local-disk";

void require_valid(const std::string& key) {
  if (!is_valid_blob_key(key)) throw std::invalid_argument("invalid blob key '" + key + "'");
}

// A file descriptor that closes itself.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void fail(const std::string& what) { throw StoreError(kLocalDisk, what + ": " + std::strerror(errno)); }

class LocalBlobStore final : public BlobStore {
 public:
  LocalBlobStore(const std::string& folder, StoreMetrics& metrics)
      : objects_(fs::path(folder) / "objects"),
        meta_(fs::path(folder) / "meta"),
        tmp_(fs::path(folder) / "tmp"),
        put_(metrics.op(kLocalDisk, "blob_put")),
        head_(metrics.op(kLocalDisk, "blob_head")),
        get_(metrics.op(kLocalDisk, "blob_get")),
        remove_(metrics.op(kLocalDisk, "blob_remove")) {
    std::error_code ec;
    for (const auto& dir : {objects_, meta_, tmp_}) {
      fs::create_directories(dir, ec);
      if (ec) throw StoreError(kLocalDisk, "create " + dir.string() + ": " + ec.message());
    }
  }

  const char* backend() const override { return kLocalDisk; }

  PutResult put(const std::string& key, const BodySource& body, std::optional<std::uint64_t> size,
                const std::string& content_type, const std::string& owner) override {
    require_valid(key);
    if (!is_valid_blob_owner(owner)) throw std::invalid_argument("invalid blob owner '" + owner + "'");
    OpTimer t(put_);
    const fs::path tmp = tmp_ / (key + "." + ids::random_token(8));
    struct RemoveOnFailure {
      fs::path path;
      bool armed = true;
      ~RemoveOnFailure() {
        std::error_code ignored;
        if (armed) fs::remove(path, ignored);
      }
    } guard{tmp};

    PutResult result;
    crypto::Sha256 hash;
    {
      Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (out.fd < 0) fail("create " + tmp.string());
      body([&](const char* data, std::size_t n) {
        if (size && result.size + n > *size) throw TruncatedBody("body is longer than its declared size");
        for (std::size_t done = 0; done < n;) {
          const ssize_t w = ::write(out.fd, data + done, n - done);
          if (w < 0) {
            if (errno == EINTR) continue;
            fail("write " + tmp.string());
          }
          done += static_cast<std::size_t>(w);
        }
        hash.update(data, n);
        result.size += n;
        return true;
      });
      if (size && result.size != *size)
        throw TruncatedBody("body ended after " + std::to_string(result.size) + " of " + std::to_string(*size) +
                            " bytes");
    }
    // The metadata goes first: once the object appears, so has its owner.
    write_small_file(meta_ / key, one_line(content_type) + "\n" + owner + "\n");
    std::error_code ec;
    fs::rename(tmp, objects_ / key, ec);  // the commit point: the object appears whole
    if (ec) throw StoreError(kLocalDisk, "rename into " + (objects_ / key).string() + ": " + ec.message());
    guard.armed = false;
    result.sha256 = hash.hex_digest();
    t.ok();
    return result;
  }

  std::optional<BlobInfo> head(const std::string& key) override {
    require_valid(key);
    OpTimer t(head_);
    return t.found(info(key));
  }

  std::optional<BlobInfo> get(const std::string& key, std::optional<ByteRange> range, const ChunkSink& sink) override {
    require_valid(key);
    OpTimer t(get_);
    Fd in(::open((objects_ / key).c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) {
      if (errno == ENOENT) return t.found(std::optional<BlobInfo>());
      fail("open " + (objects_ / key).string());
    }
    auto found = info(key);
    if (!found) return t.found(std::optional<BlobInfo>());
    std::uint64_t offset = range ? range->offset : 0;
    std::uint64_t left = range ? range->length : found->size;
    std::vector<char> buf(64 * 1024);
    while (left > 0) {
      const ssize_t n = ::pread(in.fd, buf.data(), std::min<std::uint64_t>(buf.size(), left), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("read " + (objects_ / key).string());
      if (n == 0) {  // the file ends before the range does: no byte may be made up
        throw StoreError(kLocalDisk, "read " + (objects_ / key).string() + ": " + std::to_string(left) +
                                         " bytes of the range are past the end of the file");
      }
      if (!sink(buf.data(), static_cast<std::size_t>(n))) break;
      offset += static_cast<std::uint64_t>(n);
      left -= static_cast<std::uint64_t>(n);
    }
    return t.found(found);
  }

  bool remove(const std::string& key) override {
    require_valid(key);
    OpTimer t(remove_);
    std::error_code ec;
    const bool existed = fs::remove(objects_ / key, ec);
    fs::remove(meta_ / key, ec);
    existed ? t.ok() : t.miss();
    return existed;
  }

  void check() override {
    if (::access(objects_.c_str(), W_OK) != 0) fail("folder " + objects_.string() + " is not writable");
  }

 private:
  std::optional<BlobInfo> info(const std::string& key) {
    std::error_code ec;
    const auto size = fs::file_size(objects_ / key, ec);
    if (ec) return std::nullopt;
    BlobInfo i{size, "application/octet-stream", ""};
    std::ifstream meta(meta_ / key);
    std::string line;
    if (meta && std::getline(meta, line) && !line.empty()) i.content_type = line;
    if (meta && std::getline(meta, line)) i.owner = line;
    return i;
  }

  // A content type as one line: a line break in it would end it early, and make what
  // follows read as the owner.
  static std::string one_line(std::string text) {
    text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }), text.end());
    return text;
  }

  void write_small_file(const fs::path& path, const std::string& text) {
    const fs::path tmp = tmp_ / (path.filename().string() + ".meta." + ids::random_token(8));
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text;
      if (!out) throw StoreError(kLocalDisk, "write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw StoreError(kLocalDisk, "rename into " + path.string() + ": " + ec.message());
  }

  fs::path objects_, meta_, tmp_;
  OpMetrics put_, head_, get_, remove_;
};

}  // namespace

std::unique_ptr<BlobStore> make_local_blob_store(const std::string& folder, StoreMetrics& metrics) {
  return std::make_unique<LocalBlobStore>(folder, metrics);
}

}  // namespace scalelab::store
