// Hashes and MACs on OpenSSL's EVP interface (the low-level SHA256()/HMAC() calls are
// deprecated in OpenSSL 3): streaming SHA-256 for uploads and their checks, HMAC-SHA256
// for AWS Signature V4, SHA-1 for Redis script ids, and lowercase hex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace scalelab::crypto {

// Incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::string raw_digest();  // 32 bytes; ends the computation
  std::string hex_digest();  // 64 lowercase hex characters; ends the computation

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha1_hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view raw);

}  // namespace scalelab::crypto
