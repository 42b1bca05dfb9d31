#include "common/ids.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

namespace scalelab::ids {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
}  // namespace

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  out.reserve(token_length(bytes));
  std::size_t i = 0;
  for (; i + 3 <= bytes; i += 3) {
    const unsigned v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes - i == 1) {
    const unsigned v = raw[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes - i == 2) {
    const unsigned v = (raw[i] << 16) | (raw[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool is_token(std::string_view s, std::size_t bytes) {
  if (s.size() != token_length(bytes)) return false;
  for (char c : s)
    if (!in_alphabet(c)) return false;
  return true;
}

}  // namespace scalelab::ids
