// libFuzzer target for the app's (and the supervisor's) request reader: the request
// gate that stands in front of cpp-httplib (common/http_gate.hpp). Built with clang
// only: `ninja -C build common_fuzz_request_gate`, then
//   build/bin/common_fuzz_request_gate -max_total_time=60
// It is not part of ctest. The first four bytes seed the splits; the rest is the
// client's input. Any crash, sanitizer report or broken property is a finding:
//   - the outcome (requests out, refusal status and error) is the same fed whole, fed in
//     random pieces, and (for short inputs) fed byte by byte;
//   - the gate never holds more than its bound plus the piece just fed, and a piece
//     never yields much more output than it brought in;
//   - a refusal is a 4xx or 5xx with an error code and one of the known reasons;
//   - every request that comes out is a fixed point: gated again, it comes out as is.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>

#include "common/http_gate.hpp"
#include "tests/support/gate_driver.hpp"

namespace {

using scalelab::http_gate::Limits;
using scalelab::http_gate::RequestGate;
using scalelab::testkit::drive_gate;
using scalelab::testkit::GateOutcome;

// Small limits, so the fuzzer reaches them with short inputs.
Limits fuzz_limits() {
  Limits l;
  l.max_header_bytes = 512;
  l.max_line_bytes = 256;
  l.max_chunk_line = 64;
  return l;
}

void check(bool ok) {
  if (!ok) std::abort();
}

// Feeds in pieces, checking the bounds after each one.
GateOutcome drive_bounded(std::string_view input, const std::vector<std::size_t>& cuts, const Limits& limits) {
  const std::size_t bound = std::max(limits.max_header_bytes, limits.max_chunk_line);
  return drive_gate(input, cuts, limits, [&](const RequestGate& gate, std::size_t piece) {
    check(gate.refusal() || gate.buffered() <= bound + piece);
    check(gate.output().size() <= bound + piece + 256);
  });
}

bool known_reason(const std::string& reason) {
  for (const char* r : scalelab::http_gate::kRefusalReasons)
    if (reason == r) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::uint32_t seed;
  std::memcpy(&seed, data, 4);
  const std::string_view input(reinterpret_cast<const char*>(data) + 4, size - 4);
  const Limits limits = fuzz_limits();

  const GateOutcome whole = drive_bounded(input, {}, limits);
  std::mt19937 rng(seed);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < input.size(); ++i)
    if (rng() % 8 == 0) cuts.push_back(i);
  check(drive_bounded(input, cuts, limits) == whole);
  if (input.size() <= 600) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
    check(drive_bounded(input, every, limits) == whole);
  }

  if (whole.status != 0) {
    check(whole.status >= 400 && whole.status <= 599);
    check(!whole.error.empty() && known_reason(whole.reason));
  }
  // Rendering adds a few fields, so the second pass gets room for them.
  Limits again = limits;
  again.max_header_bytes += 128;
  again.max_line_bytes += 64;
  for (const auto& request : whole.requests) {
    const GateOutcome twice = drive_gate(request, {}, again);
    check(twice.status == 0 && twice.requests.size() == 1 && twice.requests[0] == request);
  }
  return 0;
}
