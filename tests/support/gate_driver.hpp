// Drives a RequestGate (common/http_gate.hpp) the way GatedServer does, for the unit
// tests and the libFuzzer target: feed a piece, take every byte the gate has ready,
// move on at each request's end, and say what came out. Header-only and free of
// GoogleTest, so the fuzz target (built by clang alone) includes it too.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_gate.hpp"

namespace scalelab::testkit {

// What the gate made of an input: every complete request's output, the start of the
// one it stopped inside (if any), and the refusal.
struct GateOutcome {
  std::vector<std::string> requests;
  std::string unfinished;
  unsigned status = 0;  // 0: no refusal
  std::string error, reason;

  // The same for every split: the requests, the refusal's status and error, and, when
  // nothing was refused, where the input stopped. (The reason may be finer than the
  // error and name whichever problem showed first, which depends on the split.)
  bool operator==(const GateOutcome& o) const {
    return requests == o.requests && status == o.status && error == o.error && (status != 0 || unfinished == o.unfinished);
  }
};

inline std::ostream& operator<<(std::ostream& os, const GateOutcome& o) {
  for (const auto& r : o.requests) os << "[" << r << "] ";
  return os << "unfinished [" << o.unfinished << "] refusal " << o.status << " " << o.error;
}

// Takes everything `gate` has ready into `out`, moving on at each request's end.
inline void drain_gate(http_gate::RequestGate& gate, GateOutcome& out) {
  for (;;) {
    out.unfinished += gate.output();
    gate.consume(gate.output().size());
    if (!gate.request_done()) break;
    out.requests.push_back(std::move(out.unfinished));
    out.unfinished.clear();
    gate.next_request();
  }
  if (gate.refusal()) {
    out.status = gate.refusal()->answer.status;
    out.error = gate.refusal()->answer.error;
    out.reason = gate.refusal()->reason;
  }
}

// Feeds `input` cut at `cuts` (increasing offsets within it), then the end of input.
// `after_piece(gate, piece_size)` runs after each piece has been fed, before its
// output is taken.
template <class AfterPiece>
GateOutcome drive_gate(std::string_view input, const std::vector<std::size_t>& cuts, const http_gate::Limits& limits,
                       AfterPiece after_piece) {
  http_gate::RequestGate gate(limits);
  GateOutcome out;
  std::size_t at = 0;
  auto feed = [&](std::size_t end) {
    gate.feed(input.substr(at, end - at));
    after_piece(gate, end - at);
    drain_gate(gate, out);
    at = end;
  };
  for (std::size_t cut : cuts) feed(cut);
  feed(input.size());
  gate.feed_eof();
  drain_gate(gate, out);
  return out;
}

inline GateOutcome drive_gate(std::string_view input, const std::vector<std::size_t>& cuts = {},
                              const http_gate::Limits& limits = {}) {
  return drive_gate(input, cuts, limits, [](const http_gate::RequestGate&, std::size_t) {});
}

}  // namespace scalelab::testkit
