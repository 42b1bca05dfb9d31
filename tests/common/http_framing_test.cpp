// The bounds on what a parser holds while it waits for a line to end
// (common/http_framing.hpp): the one-shot check, and the resuming scan that the
// balancer's readers call each time their parser asks for more bytes.
#include "common/http_framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace scalelab::http_framing {
namespace {

TEST(HttpFraming, ABareLfAnywhereMakesALineThatNeverEnds) {
  EXPECT_EQ(check_pending("5;a=b\r"), Pending::ok);
  EXPECT_EQ(check_pending("5;a=b\n"), Pending::bare_lf);
  EXPECT_EQ(check_pending("\n"), Pending::bare_lf);
  EXPECT_EQ(check_pending("X-T: 1\r\nX-U"), Pending::ok);
  EXPECT_EQ(check_pending(std::string(kMaxPendingLine, 'a')), Pending::too_long);
  EXPECT_EQ(check_pending(std::string(kMaxPendingLine - 1, 'a')), Pending::ok);
}

// A line fed a byte at a time, with the parser taking nothing, then some bytes: the
// resuming scan gives the one-shot check's verdict at every step.
TEST(HttpFraming, TheResumingScanAgreesWithTheOneShotCheckAtEveryStep) {
  const std::string inputs[] = {"X-Trailer: value\r\nX-Other: v\r\n", "ffff;ext=1\nrest", "0\r\n\nx", "\nabc"};
  for (const std::string& input : inputs) {
    for (std::size_t taken_at = 0; taken_at <= input.size(); ++taken_at) {
      PendingLine scan;
      std::string pending;
      for (std::size_t i = 0; i < input.size(); ++i) {
        pending.push_back(input[i]);
        if (i == taken_at && pending.size() > 1) {
          // the parser takes the bytes before the last one (a line it finished)
          const std::size_t n = pending.size() - 1;
          pending.erase(0, n);
          scan.consumed(n);
        }
        const Pending expected = check_pending(pending, 8);
        ASSERT_EQ(scan.check(pending, 8), expected) << "input " << input << ", byte " << i << ", taken at " << taken_at;
        if (expected != Pending::ok) break;
      }
    }
  }
}

}  // namespace
}  // namespace scalelab::http_framing
