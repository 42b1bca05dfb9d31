// A hostile environment rather than a hostile peer: the reader of the proxy's access
// log stops reading (a stalled log shipper, a paused `docker logs`), so the pipe fills.
// A proxy that writes its log where it serves then stops serving. Each proxy logs every
// request into such a pipe while one client asks for 3000 answers, one at a time on
// one keep-alive connection, each within 3 s.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "tests/adversarial/verdicts.hpp"

namespace scalelab::adversarial {
namespace {

constexpr const char* kGroup = "Stalled log reader";
constexpr const char* kName = "stalled_log_reader";
constexpr const char* kTries = "logs every request into a pipe whose reader stops reading, while a client asks for 3000 answers";
constexpr int kRequests = 3000;

Outcome ask_through(std::uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_connection_timeout(std::chrono::seconds(3));
  client.set_read_timeout(std::chrono::seconds(3));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.Get("/ok/" + std::to_string(i));
    if (!r || r->status != 200)
      return {false, "request " + std::to_string(i + 1) + " of " + std::to_string(kRequests) + ": " +
                         (r ? std::to_string(r->status) : std::string("no answer in 3 s"))};
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char what[96];
  std::snprintf(what, sizeof what, "all %d answered in %.1f s", kRequests, seconds);
  return {true, what};
}

TEST(StalledLogReader, EveryRequestIsAnsweredWhileTheLogsReaderSleeps) {
  run_everywhere(
      kGroup, kName, kTries,
      [](std::uint16_t port, HostileBackend&, pid_t) { return CaseResult{ask_through(port)}; },
      AccessLog::stalled_reader);
}

TEST(Conformance, TheCommittedTableHasTheStalledLogReaderRow) {
  std::ifstream in(std::string(SCALELAB_SOURCE_DIR) + "/balancer/CONFORMANCE.md");
  std::stringstream table;
  table << in.rdbuf();
  EXPECT_NE(table.str().find(std::string("| `") + kName + "` |"), std::string::npos)
      << kName << " is not in balancer/CONFORMANCE.md: make it again (see its first lines)";
}

}  // namespace
}  // namespace scalelab::adversarial
