// The side-by-side table the adversarial suite produces: for every case, what each
// proxy did and whether that was safe. Cases record their outcomes as they run; when
// SCALELAB_CONFORMANCE_OUT names a file, the whole run's table is written there at the
// end (balancer/CONFORMANCE.md is made that way, never by hand: see its first lines).
#pragma once

#include <string>

#include "tests/adversarial/proxies.hpp"

namespace scalelab::adversarial {

struct Outcome {
  bool safe = false;
  std::string what;  // what the proxy did, in a few words
};

// `group`: "hostile backend" or "hostile client"; `tries`: one line on the attack.
void record(const std::string& group, const std::string& name, const std::string& tries, ProxyKind proxy,
            const Outcome& outcome);
void record_skipped(const std::string& group, const std::string& name, const std::string& tries, ProxyKind proxy,
                    const std::string& why);

}  // namespace scalelab::adversarial
