#include "store/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "common/crypto.hpp"

namespace scalelab::store::sigv4 {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and folds runs of whitespace (including folded header lines) into one space.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// RFC 3986 section 5.2.4, plus merging empty segments, keeping a trailing slash.
std::string normalize(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    pos = next + 1;
  }
  std::string result;
  for (auto seg : out) {
    result += '/';
    result += seg;
  }
  const bool trailing = !path.empty() && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  if (result.empty() || (trailing && result.back() != '/')) result += '/';
  return result;
}

std::string canonical_uri(std::string_view path, bool normalize_path) {
  std::string p = normalize_path ? normalize(path) : std::string(path);
  if (p.empty()) p = "/";
  return uri_encode(p, false);
}

std::string canonical_query(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k, true), uri_encode(v, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string uri_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Signed sign(const Request& request, const Credentials& credentials, const Options& options) {
  Signed result;
  const std::string date = options.amz_date.empty() ? amz_date(std::chrono::system_clock::now()) : options.amz_date;
  const std::string day = date.substr(0, 8);

  result.headers_to_add.emplace_back("X-Amz-Date", date);
  if (options.add_content_sha256) result.headers_to_add.emplace_back("X-Amz-Content-Sha256", request.payload_hash);
  const bool token = !credentials.session_token.empty();
  if (token && options.sign_session_token)
    result.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);

  // Canonical headers: lowercase names, sorted; repeated names joined by commas in
  // the order sent; values trimmed with inner whitespace folded.
  std::map<std::string, std::string> headers;
  auto add = [&](const std::string& name, const std::string& value) {
    auto [it, inserted] = headers.emplace(lower(name), canonical_value(value));
    if (!inserted) it->second += "," + canonical_value(value);
  };
  for (const auto& [k, v] : request.headers) add(k, v);
  for (const auto& [k, v] : result.headers_to_add) add(k, v);

  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }

  result.canonical_request = request.method + "\n" + canonical_uri(request.path, options.normalize_path) + "\n" +
                             canonical_query(request.query) + "\n" + canonical_headers + "\n" + signed_headers +
                             "\n" + request.payload_hash;

  const std::string scope = day + "/" + options.region + "/" + options.service + "/aws4_request";
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + crypto::sha256_hex(result.canonical_request);

  std::string key = crypto::hmac_sha256("AWS4" + credentials.secret_key, day);
  key = crypto::hmac_sha256(key, options.region);
  key = crypto::hmac_sha256(key, options.service);
  key = crypto::hmac_sha256(key, "aws4_request");
  result.signature = crypto::to_hex(crypto::hmac_sha256(key, result.string_to_sign));

  result.headers_to_add.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" +
                                                          scope + ", SignedHeaders=" + signed_headers +
                                                          ", Signature=" + result.signature);
  if (token && !options.sign_session_token)
    result.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);
  return result;
}

}  // namespace scalelab::store::sigv4
