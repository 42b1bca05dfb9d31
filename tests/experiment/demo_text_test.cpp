// The demo's side-by-side table and its one-line conclusions, from journals alone.
#include <gtest/gtest.h>

#include "lab/experiment/demo.hpp"

using namespace scalelab::experiment;
namespace journal = scalelab::journal;

namespace {

journal::Journal run(const std::string& label, int lost_before, int lost_after, int failed) {
  journal::Journal j;
  j.label = label;
  for (int t = 1; t <= 10; ++t) {
    journal::Sample s;
    s.elapsed_s = t;
    s.counts.requests = 100;
    s.counts.errors = t == 6 ? failed : 0;
    s.counts.violations = {{"session_lost", t <= 5 ? lost_before : lost_after}};
    s.counts.checks = {{"session", 50}};
    j.series.push_back(s);
  }
  journal::Action kill;
  kill.name = "kill app-2";
  kill.started_s = 5.0;
  j.actions.push_back(kill);
  j.verdict.status = lost_before + lost_after ? "deviated" : "completed";
  return j;
}

}  // namespace

TEST(DemoText, ConclusionsFollowTheNumbers) {
  EXPECT_EQ(conclusion_for(run("shared", 0, 0, 3)),
            "state held: no request saw lost or stale state in 1000 requests; the kill cost 3 failed requests (0.3 %)");
  EXPECT_EQ(conclusion_for(run("local", 33, 33, 0)),
            "state broke from the start: session_lost 330 (66.0 % of session checks) - each instance knows only the "
            "state it created");
  EXPECT_EQ(conclusion_for(run("local+sticky", 0, 4, 0)),
            "state looked fine until the kill at 5 s, then broke: session_lost 20 (4.0 % of session checks) - affinity "
            "cannot save in-memory state when its instance dies");
}

TEST(DemoText, TableHasAColumnPerModeAndARowPerKind) {
  const std::string table = summary_table({run("shared", 0, 0, 3), run("local", 33, 33, 0)});
  EXPECT_NE(table.find("shared"), std::string::npos);
  EXPECT_NE(table.find("local"), std::string::npos);
  for (const char* row : {"requests", "failed requests", "session_lost", "cart_lost_write", "upload_missing",
                          "upload_corrupt", "stale_read", "rate_limit_exceeded", "verdict"})
    EXPECT_NE(table.find(row), std::string::npos) << row;
  EXPECT_NE(table.find("330 (66.0 %)"), std::string::npos) << table;
  EXPECT_NE(table.find("3 (0.3 %)"), std::string::npos) << table;
}
