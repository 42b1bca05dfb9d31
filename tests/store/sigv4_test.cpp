// The signer against AWS's published answers: the S3 example from the S3 documentation
// (embedded), and every case of the generic SigV4 test suite in ../shared, read at run
// time (skipped with a message when that folder is absent).
#include "store/sigv4.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/crypto.hpp"

using namespace scalelab::store;
namespace fs = std::filesystem;

TEST(SigV4, S3DocumentationExampleGetObjectWithRange) {
  sigv4::Request req{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
                     sigv4::kEmptyPayloadHash};
  sigv4::Options options;
  options.region = "us-east-1";
  options.service = "s3";
  options.amz_date = "20130524T000000Z";
  auto s = sigv4::sign(req, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, options);
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const auto& auth = s.headers_to_add.back();
  EXPECT_EQ(auth.first, "Authorization");
  EXPECT_EQ(auth.second,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PathsAreEncodedOnceAndNeverNormalized) {
  sigv4::Request req{"PUT", "/bucket/a b/../c", {}, {{"Host", "127.0.0.1:4568"}}, sigv4::kUnsignedPayload};
  auto s = sigv4::sign(req, {"k", "s", ""}, sigv4::Options{.amz_date = "20240101T000000Z"});
  EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find('\n', 4)), "PUT\n/bucket/a%20b/../c");
}

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(sigv4::uri_encode("a b/c~d", false), "a%20b/c~d");
  EXPECT_EQ(sigv4::uri_encode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(sigv4::uri_encode("\xe1\x88\xb4", true), "%E1%88%B4");
  EXPECT_EQ(sigv4::uri_decode("%E1%88%B4=x%2"), "\xe1\x88\xb4=x%2");
}

// --- the AWS SigV4 test suite --------------------------------------------------------

namespace {

fs::path suite_dir() {
  if (const char* env = std::getenv("SCALELAB_SIGV4_SUITE")) return env;
  return fs::path(SCALELAB_SHARED_DIR) / "sigv4-test-suite";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// request.txt: "METHOD URI HTTP/1.1", header lines (continuations start with
// whitespace), a blank line, then the body.
struct ParsedRequest {
  sigv4::Request request;
  std::string body;
};

ParsedRequest parse_request(const std::string& text) {
  ParsedRequest out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto first_space = line.find(' ');
  const auto proto = line.rfind(" HTTP/");
  out.request.method = line.substr(0, first_space);
  std::string uri = line.substr(first_space + 1, proto - first_space - 1);
  const auto q = uri.find('?');
  out.request.path = sigv4::uri_decode(uri.substr(0, q));
  if (q != std::string::npos) {
    std::string query = uri.substr(q + 1);
    std::size_t pos = 0;
    while (pos <= query.size()) {
      auto amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      std::string pair = query.substr(pos, amp - pos);
      if (!pair.empty()) {
        auto eq = pair.find('=');
        out.request.query.emplace_back(sigv4::uri_decode(pair.substr(0, eq)),
                                       eq == std::string::npos ? "" : sigv4::uri_decode(pair.substr(eq + 1)));
      }
      pos = amp + 1;
    }
  }
  while (std::getline(in, line)) {
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.request.headers.empty()) {
      out.request.headers.back().second += " " + line;
      continue;
    }
    auto colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::stringstream rest;
  rest << in.rdbuf();
  out.body = rest.str();
  return out;
}

}  // namespace

TEST(SigV4Suite, EveryApplicableCaseMatchesAws) {
  const fs::path dir = suite_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "AWS SigV4 test suite not found at " << dir << " (set SCALELAB_SIGV4_SUITE)";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!fs::exists(entry.path() / "context.json")) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto context = nlohmann::json::parse(read_file(entry.path() / "context.json"));
    ParsedRequest parsed = parse_request(read_file(entry.path() / "request.txt"));
    const bool sign_body = context.value("sign_body", false);
    parsed.request.payload_hash = scalelab::crypto::sha256_hex(parsed.body);
    sigv4::Options options;
    options.region = context.at("region");
    options.service = context.at("service");
    const std::string ts = context.at("timestamp");  // 2015-08-30T12:36:00Z
    options.amz_date = ts.substr(0, 4) + ts.substr(5, 2) + ts.substr(8, 2) + "T" + ts.substr(11, 2) +
                       ts.substr(14, 2) + ts.substr(17, 2) + "Z";
    options.normalize_path = context.value("normalize", true);
    options.add_content_sha256 = sign_body;
    options.sign_session_token = !context.value("omit_session_token", false);
    const auto& c = context.at("credentials");
    sigv4::Credentials creds{c.at("access_key_id"), c.at("secret_access_key"), c.value("token", "")};

    auto s = sigv4::sign(parsed.request, creds, options);
    EXPECT_EQ(s.canonical_request, read_file(entry.path() / "header-canonical-request.txt"));
    EXPECT_EQ(s.string_to_sign, read_file(entry.path() / "header-string-to-sign.txt"));
    EXPECT_EQ(s.signature, read_file(entry.path() / "header-signature.txt"));
    ++checked;
  }
  EXPECT_GE(checked, 30) << "expected the whole suite in " << dir;
  std::printf("[ sigv4 ] %d AWS test-suite cases checked\n", checked);
}
