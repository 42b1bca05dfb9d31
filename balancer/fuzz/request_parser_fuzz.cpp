// libFuzzer target for the balancer's request-parsing entry point (parse_request,
// which runs Beast's parser with the proxy's limits and its extra framing checks).
// Built with clang only: `ninja -C build balancer_fuzz_request`, then
//   build/bin/balancer_fuzz_request -max_total_time=60
// It is not part of ctest. Any crash, sanitizer report or contract breach (a
// rejection that is not a 4xx/5xx with an error code) is a finding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "balancer/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  scalelab::balancer::RequestLimits limits;
  limits.max_header_bytes = 8 * 1024;
  limits.max_body_bytes = 64 * 1024;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto outcome = scalelab::balancer::parse_request(bytes, limits);
  if (outcome.consumed > size) std::abort();
  if (outcome.rejection) {
    const auto& r = *outcome.rejection;
    if (r.status < 400 || r.status > 599 || r.error.empty()) std::abort();
  }
  if (outcome.body_bytes > limits.max_body_bytes) std::abort();
  return 0;
}
