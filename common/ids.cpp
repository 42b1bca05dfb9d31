#include "common/ids.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

namespace scalelab::ids {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Appends `bytes` bytes at `raw`, base64url-encoded without padding, to `out`.
void encode_into(std::string& out, const unsigned char* raw, std::size_t bytes) {
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
}

// Bumped in every child a fork(2) makes: a thread's generator compares it with the one
// it was seeded under, and reseeds when they differ.
std::atomic<unsigned> fork_generation{0};

// SplitMix64 (Steele, Lea and Flood): a counter passed through a bijective mix, so one
// generator never repeats within 2^64 draws, and two seeded at random overlap with a
// chance of about draws / 2^64.
class UniqueSource {
 public:
  std::uint64_t next() {
    if (!seeded_ || generation_ != fork_generation.load(std::memory_order_relaxed)) seed();
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  void seed() {
    static const bool registered = [] {
      pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
      return true;
    }();
    (void)registered;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&state_), sizeof state_) != 1)
      throw std::runtime_error("RAND_bytes failed");
    generation_ = fork_generation.load(std::memory_order_relaxed);
    seeded_ = true;
  }
  std::uint64_t state_ = 0;
  unsigned generation_ = 0;
  bool seeded_ = false;
};

}  // namespace

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  out.reserve(token_length(bytes));
  encode_into(out, raw.data(), bytes);
  return out;
}

void unique_token_into(std::string& out, std::size_t bytes) {
  constexpr std::size_t kMaxBytes = 32;
  if (bytes > kMaxBytes) throw std::invalid_argument("unique_token: at most 32 bytes");
  thread_local UniqueSource source;
  unsigned char raw[kMaxBytes];
  for (std::size_t i = 0; i < bytes; i += 8) {
    const std::uint64_t word = source.next();
    for (std::size_t j = 0; j < 8 && i + j < bytes; ++j) raw[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
  out.clear();
  encode_into(out, raw, bytes);
}

std::string unique_token(std::size_t bytes) {
  std::string out;
  out.reserve(token_length(bytes));
  unique_token_into(out, bytes);
  return out;
}

bool is_token(std::string_view s, std::size_t bytes) {
  if (s.size() != token_length(bytes)) return false;
  for (char c : s)
    if (!in_alphabet(c)) return false;
  return true;
}

}  // namespace scalelab::ids
