// The request gate in front of the supervisor's control API (common/gated_server.hpp),
// against a real lab: a POST without a body is answered at once with the action's own
// answer, and a chunk line that never ends, or ends in a bare LF, is refused at once
// without the supervisor's memory growing.
#include <thread>

#include <gtest/gtest.h>

#include "tests/lab/lab_harness.hpp"
#include "tests/support/proc_stats.hpp"
#include "tests/support/raw_client.hpp"

using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A bodyless POST, as `curl -X POST` sends it; the answer, or "" after 3 s.
std::string bodyless_post(std::uint16_t port, const std::string& path, std::chrono::milliseconds& took) {
  RawConnection raw(port);
  const auto t0 = Clock::now();
  raw.send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
  if (!raw.readable_within(3000)) return "";
  took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  return raw.read_answer();
}

}  // namespace

TEST(ControlApiGate, BodylessPostsAreAnsweredAtOnceAndChunkLinesAreBounded) {
  LabHarness lab;
  lab.up({"--instances", "1"});
  const std::uint16_t control = lab.base_port() + 2;
  const std::string host = "Host: 127.0.0.1:" + std::to_string(control) + "\r\n";

  std::chrono::milliseconds took{};
  const std::string paused = bodyless_post(control, "/components/app-1/pause", took);
  EXPECT_EQ(status_of(paused), 200) << paused;
  EXPECT_LT(took, 2s);
  const std::string resumed = bodyless_post(control, "/components/app-1/resume", took);
  EXPECT_EQ(status_of(resumed), 200) << resumed;

  RawConnection lf(control);
  ASSERT_TRUE(lf.send("POST /scale HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5\n{}"));
  EXPECT_TRUE(lf.readable_within(1000)) << "an LF-only chunk line was not answered within 1 s";
  EXPECT_EQ(status_of(lf.read_answer(0)), 400);

  const int pid = lab.supervisor_pid();
  const long peak_before = peak_rss_kib(pid);
  const FloodResult flood =
      flood_line(control, "POST /scale HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", 200u << 20);
  const long peak_after = peak_rss_kib(pid);
  std::cout << "200 MiB chunk line: answered after " << flood.answered_after.count() << " ms; supervisor VmHWM "
            << peak_before << " -> " << peak_after << " KiB\n";
  EXPECT_EQ(status_of(flood.answer), 400) << flood.answer.substr(0, 300);
  EXPECT_NE(flood.answer.find("chunk_line_too_long"), std::string::npos) << flood.answer;
  EXPECT_GE(flood.answered_after.count(), 0) << "no answer";
  EXPECT_LT(flood.answered_after, 2s);
  EXPECT_LT(peak_after - peak_before, 8 * 1024) << "VmHWM grew by " << peak_after - peak_before << " KiB";

  const std::string down = bodyless_post(control, "/down", took);
  EXPECT_EQ(status_of(down), 202) << down;
  EXPECT_LT(took, 3s);
}
