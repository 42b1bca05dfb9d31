// The thresholds of `scalelab load`: how --allow-violations and --allow-failures are
// read, and how a finished run is judged into an exit code and the thresholds it
// crossed (lab/load/thresholds.hpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>

#include "lab/load/reporter.hpp"
#include "lab/load/thresholds.hpp"

using namespace scalelab::load;

namespace {

// An answered run that saw `lost` session_lost among `session_checks`, and `failed`
// transport errors among `requests`.
LoadResult run_with(std::uint64_t lost, std::uint64_t session_checks, std::uint64_t failed, std::uint64_t requests) {
  LoadResult r;
  r.target_answered = true;
  r.totals.requests = requests;
  r.totals.responses = requests - failed;
  r.totals.transport[static_cast<std::size_t>(Transport::reset)] = failed;
  r.totals.add(Violation::session_lost, lost);
  r.totals.add(Check::session, session_checks);
  return r;
}

Thresholds allowing(const std::string& violations, const std::string& failures = "0") {
  return {parse_allowed_violations(violations), parse_allowed_failures(failures)};
}

}  // namespace

TEST(Thresholds, ParsesCountsAndPercentages) {
  EXPECT_EQ(parse_allowance("10"), (Allowance{10, false}));
  EXPECT_EQ(parse_allowance(" 0 "), (Allowance{0, false}));
  EXPECT_EQ(parse_allowance("2.5%"), (Allowance{2.5, true}));
  EXPECT_EQ(parse_allowance("100%"), (Allowance{100, true}));
  EXPECT_EQ(parse_allowance("10").to_string(), "10");
  EXPECT_EQ(parse_allowance("2.5%").to_string(), "2.5%");
  for (const char* bad : {"", "%", "-1", "1.5", "ten", "10x", "101%", "-1%", "5%%", "nan%"})
    EXPECT_THROW(parse_allowance(bad), std::invalid_argument) << bad;
  EXPECT_EQ(parse_allowed_failures("3%"), (Allowance{3, true}));
  EXPECT_THROW(parse_allowed_failures("all"), std::invalid_argument);
}

TEST(Thresholds, ParsesAllowedViolations) {
  EXPECT_TRUE(parse_allowed_violations("").all) << "the flag alone";
  EXPECT_TRUE(parse_allowed_violations("all").all);
  const auto none = parse_allowed_violations("none");
  EXPECT_FALSE(none.all);
  EXPECT_EQ(none.of(Violation::session_lost), Allowance{});

  const auto some = parse_allowed_violations("session_lost=50%, stale_read=10,upload_missing");
  EXPECT_FALSE(some.all);
  EXPECT_EQ(some.of(Violation::session_lost), (Allowance{50, true}));
  EXPECT_EQ(some.of(Violation::stale_read), (Allowance{10, false}));
  EXPECT_EQ(some.of(Violation::upload_missing), Allowance::any()) << "a bare kind: any number";
  EXPECT_EQ(some.of(Violation::cart_lost_write), Allowance{}) << "a kind not named: none";
}

TEST(Thresholds, RefusesBadViolationListsWithOneLineNamingTheBadPart) {
  auto message = [](const char* text) {
    try {
      parse_allowed_violations(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("sesion_lost=1").find("unknown violation kind 'sesion_lost' (known: session_lost,"),
            std::string::npos);
  EXPECT_NE(message("session_lost=lots").find("session_lost: 'lots' is neither a count"), std::string::npos);
  EXPECT_NE(message("stale_read=1,stale_read=2").find("'stale_read' given twice"), std::string::npos);
  EXPECT_NE(message("all,stale_read=2").find("'all' stands alone"), std::string::npos);
  EXPECT_NE(message("session_lost=101%").find("percentage from 0 to 100"), std::string::npos);
  EXPECT_NE(message(",,").find("',,' names no violation kind"), std::string::npos);
  for (const char* text : {"sesion_lost=1", "session_lost=lots", "all,stale_read=2"})
    EXPECT_EQ(message(text).find('\n'), std::string::npos) << text;
}

TEST(Thresholds, AnAllowanceIsExceededOnlyAboveIt) {
  EXPECT_FALSE((Allowance{}).exceeded_by(0, 0));
  EXPECT_TRUE((Allowance{}).exceeded_by(1, 1000));
  EXPECT_FALSE((Allowance{10, false}).exceeded_by(10, 10));
  EXPECT_TRUE((Allowance{10, false}).exceeded_by(11, 1000));
  EXPECT_FALSE((Allowance{50, true}).exceeded_by(50, 100));
  EXPECT_TRUE((Allowance{50, true}).exceeded_by(51, 100));
  EXPECT_FALSE((Allowance{0, true}).exceeded_by(0, 0));
  EXPECT_TRUE((Allowance{100, true}).exceeded_by(1, 0)) << "a share of nothing that happened is over any percentage";
  EXPECT_FALSE(Allowance::any().exceeded_by(1'000'000, 1));
}

TEST(Thresholds, ByDefaultAnyViolationOrFailureFailsTheRun) {
  const Thresholds strict;
  EXPECT_EQ(judge(run_with(0, 100, 0, 200), strict).exit_code, 0);
  EXPECT_TRUE(judge(run_with(0, 100, 0, 200), strict).crossed.empty());

  const Verdict lost = judge(run_with(1, 100, 0, 200), strict);
  EXPECT_EQ(lost.exit_code, kExitViolations);
  ASSERT_EQ(lost.crossed.size(), 1u);
  EXPECT_EQ(lost.crossed[0].name, "session_lost");
  EXPECT_EQ(lost.crossed[0].line(), "session_lost: 1 of 100 session checks (1.00 %), allowed 0");

  const Verdict failed = judge(run_with(0, 100, 3, 200), strict);
  EXPECT_EQ(failed.exit_code, kExitFailedRequests);
  ASSERT_EQ(failed.crossed.size(), 1u);
  EXPECT_EQ(failed.crossed[0].line(), "failed: 3 of 200 requests (1.50 %), allowed 0");
}

TEST(Thresholds, FailedRequestsCountFiveHundredsAsWellAsTransportErrors) {
  LoadResult r = run_with(0, 0, 0, 10);
  r.totals.status[static_cast<std::size_t>(StatusClass::s5xx)] = 2;
  const Verdict v = judge(r, Thresholds{});
  EXPECT_EQ(v.exit_code, kExitFailedRequests);
  ASSERT_EQ(v.crossed.size(), 1u);
  EXPECT_EQ(v.crossed[0].count, 2u);
  EXPECT_EQ(judge(r, allowing("none", "2")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("none", "20%")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("none", "19.9%")).exit_code, kExitFailedRequests);
}

TEST(Thresholds, ViolationsWinOverFailuresAndBothAreListed) {
  const Verdict both = judge(run_with(5, 10, 5, 50), Thresholds{});
  EXPECT_EQ(both.exit_code, kExitViolations);
  ASSERT_EQ(both.crossed.size(), 2u);
  EXPECT_EQ(both.crossed[0].name, "session_lost");
  EXPECT_EQ(both.crossed[1].name, "failed");
  EXPECT_EQ(both.line(),
            "exit 3: violations over their thresholds; session_lost: 5 of 10 session checks (50.00 %), allowed 0; "
            "failed: 5 of 50 requests (10.00 %), allowed 0");
}

TEST(Thresholds, AllowedViolationsPassPerKind) {
  const LoadResult r = run_with(30, 100, 0, 200);  // 30 % of session checks lost
  EXPECT_EQ(judge(r, allowing("")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("all")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("session_lost")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("session_lost=50%")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("session_lost=30%")).exit_code, 0) << "at the threshold is not over it";
  EXPECT_EQ(judge(r, allowing("session_lost=30")).exit_code, 0);
  EXPECT_EQ(judge(r, allowing("session_lost=29")).exit_code, kExitViolations);
  EXPECT_EQ(judge(r, allowing("session_lost=10%")).exit_code, kExitViolations);
  EXPECT_EQ(judge(r, allowing("stale_read=50%")).exit_code, kExitViolations) << "session_lost is not named";
  EXPECT_EQ(judge(r, allowing("none")).exit_code, kExitViolations);
  const Verdict v = judge(r, allowing("session_lost=10%,stale_read=5"));
  ASSERT_EQ(v.crossed.size(), 1u);
  EXPECT_EQ(v.crossed[0].line(), "session_lost: 30 of 100 session checks (30.00 %), allowed 10%");
}

TEST(Thresholds, ViolationsAllowedStillLeaveFailuresToTheirOwnThreshold) {
  const LoadResult r = run_with(30, 100, 4, 200);
  EXPECT_EQ(judge(r, allowing("all")).exit_code, kExitFailedRequests);
  EXPECT_EQ(judge(r, allowing("all", "2%")).exit_code, 0);
}

TEST(Thresholds, ATargetThatNeverAnsweredExitsOneWhateverIsAllowed) {
  LoadResult r = run_with(0, 0, 40, 40);
  r.target_answered = false;
  EXPECT_EQ(judge(r, Thresholds{}).exit_code, 1);
  EXPECT_EQ(judge(r, allowing("all", "100%")).exit_code, 1);
  EXPECT_EQ(judge(r, allowing("all", "100%")).line(), "exit 1: the target never answered");
}

TEST(Thresholds, TheVerdictInJsonAndInTheTable) {
  const Verdict v = judge(run_with(5, 10, 1, 50), allowing("session_lost=20%"));
  const nlohmann::json j = v;
  EXPECT_EQ(j.at("exit_code"), kExitViolations);
  ASSERT_EQ(j.at("crossed").size(), 2u);
  EXPECT_EQ(j["crossed"][0].at("name"), "session_lost");
  EXPECT_EQ(j["crossed"][0].at("count"), 5);
  EXPECT_EQ(j["crossed"][0].at("of"), 10);
  EXPECT_EQ(j["crossed"][0].at("allowed"), "20%");
  EXPECT_EQ(j["crossed"][0].at("line"), v.crossed[0].line());
  EXPECT_EQ(j["crossed"][1].at("name"), "failed");
  EXPECT_EQ(nlohmann::json(Verdict{}).dump(), R"({"crossed":[],"exit_code":0})");

  EXPECT_EQ(verdict_table(v), "  verdict      exit 3: violations over their thresholds\n"
                              "               session_lost: 5 of 10 session checks (50.00 %), allowed 20%\n"
                              "               failed: 1 of 50 requests (2.00 %), allowed 0\n");
  EXPECT_EQ(verdict_table(Verdict{}), "  verdict      exit 0: no threshold crossed\n");
}

TEST(Thresholds, TheJsonSummaryKeepsEveryKeyOfTheResultAndAddsTheVerdict) {
  const LoadResult r = run_with(5, 10, 0, 50);
  const Verdict v = judge(r, Thresholds{});
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Reporter(ProgressMode::none, OutputFormat::json, out, out).summary(r, v);
  std::rewind(out);
  std::string text;
  for (int c; (c = std::fgetc(out)) != EOF;) text += static_cast<char>(c);
  std::fclose(out);
  nlohmann::json summary = nlohmann::json::parse(text);
  EXPECT_EQ(summary.at("verdict"), nlohmann::json(v));
  summary.erase("verdict");
  EXPECT_EQ(summary, nlohmann::json(r)) << "the verdict is added beside the LoadResult's keys, which stay as they were";
}
