// Request ids; see request_id.hpp.
#include "balancer/request_id.hpp"

#include "common/ids.hpp"

namespace scalelab::balancer {

RequestIdGenerator::RequestIdGenerator() : prefix_(ids::random_token(9) + "-") {}

std::string RequestIdGenerator::next() {
  std::string id;
  next(id);
  return id;
}

void RequestIdGenerator::next(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  std::uint64_t v = ++counter_;
  int n = 0;
  do {
    digits[n++] = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  out.assign(prefix_);
  while (n > 0) out.push_back(digits[--n]);
}

}  // namespace scalelab::balancer
