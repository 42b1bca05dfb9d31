// A hostile backend against each proxy: the backend breaks its framing in every way
// hostile_backend.cpp knows, then ten victims, each on a connection of its own, ask
// for an answer of their own. No victim may get the attacker's hidden response, and
// the attacking client must get an answer, or a close, in bounded time and memory.
//
// The victims come 200 ms after the attack, once any late bytes have landed on the
// proxy's idle connection. A backend that times its extra bytes to arrive just after
// the next request went out cannot be told from an honest one by any HTTP/1.1 proxy
// (the protocol has no request ids); what a proxy can do, and all three here do, is
// close a connection whose response over-ran its framing, or that speaks while idle.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <thread>

#include "tests/adversarial/verdicts.hpp"

namespace scalelab::adversarial {
namespace {

using namespace std::chrono_literals;

constexpr int kVictims = 10;

CaseResult attack_and_count_victims(const BackendCase& c, std::uint16_t port) {
  // One correct exchange first, so the proxy holds a pooled connection.
  Script warm;
  warm.parts = {"GET /ok/warm HTTP/1.1\r\nHost: lab\r\n\r\n"};
  run(port, warm);

  const bool head = std::string(c.name) == "head_with_body";
  Script attack;
  attack.parts = {std::string(head ? "HEAD" : "GET") + " /hostile/" + c.name + " HTTP/1.1\r\nHost: lab\r\n\r\n"};
  attack.head = head;
  const Exchange a = run(port, attack);

  std::this_thread::sleep_for(200ms);
  int ok = 0, poisoned = 0, failed = 0;
  for (int i = 0; i < kVictims; ++i) {
    const std::string tag = "victim-" + std::to_string(i);
    Script victim;
    victim.parts = {"GET /ok/" + tag + " HTTP/1.1\r\nHost: lab\r\n\r\n"};
    victim.timeout = 4s;
    const Exchange v = run(port, victim);
    const bool hijacked = v.bytes.find("POISONED") != std::string::npos || v.bytes.find("attacker") != std::string::npos;
    if (hijacked)
      ++poisoned;
    else if (v.first_status() == 200 && v.responses.front().body == "tag:" + tag)
      ++ok;
    else
      ++failed;
  }
  CaseResult r;
  r.status = a.first_status();
  const bool attacker_poisoned = a.responses.size() == 1 && a.responses.front().has("set-cookie", "attacker");
  r.outcome.safe = poisoned == 0 && ok == kVictims && a.seconds < 5.5 && !attacker_poisoned;
  r.outcome.what = "attacker: " + describe(a) + "; victims: " +
                   (poisoned > 0 ? std::to_string(poisoned) + " of " + std::to_string(kVictims) + " POISONED"
                                 : std::to_string(ok) + "/" + std::to_string(kVictims) + " ok");
  if (failed > 0) r.outcome.what += ", " + std::to_string(failed) + " failed";
  if (attacker_poisoned) r.outcome.what += "; the attacker's own cookie was forwarded";
  return r;
}

class HostileBackendCase : public ::testing::TestWithParam<BackendCase> {};

TEST_P(HostileBackendCase, NoVictimReceivesAnotherClientsResponse) {
  const BackendCase c = GetParam();
  run_everywhere("Hostile backend", c.name, c.tries,
                 [&](std::uint16_t port, HostileBackend&, pid_t) { return attack_and_count_victims(c, port); });
}

}  // namespace

void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.name; }

namespace {

// balancer/CONFORMANCE.md is generated; a case added since it was last made would be
// missing from it.
TEST(Conformance, TheCommittedTableHasEveryHostileBackendRow) {
  std::ifstream in(std::string(SCALELAB_SOURCE_DIR) + "/balancer/CONFORMANCE.md");
  std::stringstream table;
  table << in.rdbuf();
  for (const auto& c : backend_cases())
    EXPECT_NE(table.str().find(std::string("| `") + c.name + "` |"), std::string::npos)
        << c.name << " is not in balancer/CONFORMANCE.md: make it again (see its first lines)";
}

INSTANTIATE_TEST_SUITE_P(Adversarial, HostileBackendCase, ::testing::ValuesIn(backend_cases()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace scalelab::adversarial
