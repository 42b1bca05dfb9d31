// AWS Signature Version 4, the request signing that S3, MinIO and every AWS API verify.
// s3rver does not verify signatures at all, so this signer is proven against AWS's own
// test vectors and the S3 documentation example instead (tests/store/sigv4_test.cpp).
//
// Two flavours differ only in path handling: generic services normalize the path
// (remove dot segments, merge slashes); S3 signs the path exactly as sent. Both
// URI-encode each path segment once from the decoded form given here.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scalelab::store::sigv4 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional (temporary credentials)
};

struct Request {
  std::string method;       // "GET", "PUT", ...
  std::string path;         // decoded, e.g. "/bucket/my key"
  Pairs query;              // decoded names and values, in any order
  Pairs headers;            // as they will be sent; must include Host; names in any case
  std::string payload_hash; // lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct Options {
  std::string region = "us-east-1";
  std::string service = "s3";
  std::string amz_date;             // "YYYYMMDDTHHMMSSZ"; empty means now
  bool normalize_path = false;      // true for generic services, false for S3
  bool add_content_sha256 = true;   // send and sign x-amz-content-sha256 (S3 requires it)
  bool sign_session_token = true;   // false: add X-Amz-Security-Token after signing
};

struct Signed {
  Pairs headers_to_add;  // X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, Authorization
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

Signed sign(const Request& request, const Credentials& credentials, const Options& options);

// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX
// (uppercase hex); '/' kept unless `encode_slash`.
std::string uri_encode(std::string_view text, bool encode_slash);
// Percent-decoding; malformed escapes are kept as they are.
std::string uri_decode(std::string_view text);
// "YYYYMMDDTHHMMSSZ" for a point in time.
std::string amz_date(std::chrono::system_clock::time_point t);

// SHA-256 of the empty payload, the hash of every body-less request.
inline constexpr const char* kEmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

}  // namespace scalelab::store::sigv4
