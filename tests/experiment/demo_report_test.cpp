// The demo's combined report (render_demo_report): the side-by-side summary, the
// conclusion per mode, every run's charts with the same markers, on shared axes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lab/report/report.hpp"
#include "tests/experiment/html_checks.hpp"
#include "tests/experiment/journal_fixtures.hpp"

using namespace scalelab;
using nlohmann::json;

namespace {

constexpr std::size_t kChartsPerRun = 5;

std::string summary_of(const std::string& html) {
  const auto start = html.find("<table class=\"data summary\">");
  return start == std::string::npos ? "" : html.substr(start, html.find("</table>", start) - start);
}

// The <tr> of the summary table whose header cell is `label`.
std::string summary_row(const std::string& summary, const std::string& label) {
  const auto start = summary.find("<th scope=\"row\">" + label + "</th>");
  return start == std::string::npos ? "" : summary.substr(start, summary.find("</tr>", start) - start);
}

}  // namespace

TEST(DemoReport, SummaryConclusionsAndCharts) {
  const std::string html = report::render_demo_report(testkit::demo_document());
  {
    const auto dir = std::filesystem::path(::testing::TempDir()) / "scalelab-experiment-report";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "demo.html") << html;
  }
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_EQ(testkit::external_reference(html), "");
  EXPECT_NE(html.find("<h1>scalelab demo: shared vs local vs local+sticky</h1>"), std::string::npos);

  const std::string summary = summary_of(html);
  ASSERT_FALSE(summary.empty());
  // Columns in run order, each with its verdict.
  const auto shared = summary.find(">shared <span class=\"badge held\">");
  const auto local = summary.find(">local <span class=\"badge deviated\">");
  const auto sticky = summary.find(">local+sticky <span class=\"badge deviated\">");
  ASSERT_NE(shared, std::string::npos);
  ASSERT_NE(local, std::string::npos);
  ASSERT_NE(sticky, std::string::npos);
  EXPECT_LT(shared, local);
  EXPECT_LT(local, sticky);
  // Rows: requests, failed requests, each violation kind.
  for (const char* row : {"Requests", "Failed requests", "session_lost", "cart_lost_write", "upload_missing",
                          "upload_corrupt", "stale_read", "rate_limit_exceeded"})
    EXPECT_FALSE(summary_row(summary, row).empty()) << row;
  const std::string lost = summary_row(summary, "session_lost");
  EXPECT_EQ(testkit::count(lost, "<td class=\"num\">0</td>"), 1u) << "shared lost nothing";
  EXPECT_EQ(testkit::count(lost, "<td class=\"num bad\">"), 2u) << "both local modes lost sessions";
  EXPECT_NE(lost.find("of session checks"), std::string::npos);
  // 600 answers a second, 900 while app-2 is up (19 of 30 s), 14 refused at the kill.
  EXPECT_NE(summary_row(summary, "Requests").find(">23,714<"), std::string::npos);

  for (const char* line : {"<strong>shared</strong>: no violations: any instance can serve any request",
                           "<strong>local</strong>: sessions lost on 36 % of session reads after the kill",
                           "<strong>local+sticky</strong>: sticky sessions hide the problem"})
    EXPECT_NE(html.find(line), std::string::npos) << line;

  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), 3 * kChartsPerRun);
  EXPECT_EQ(testkit::count(html, "<svg"), 3 * kChartsPerRun);
  for (std::size_t i = 0; i < svgs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NE(svgs[i].find(std::string(">") + testkit::kKillAction + "</text>"), std::string::npos);
    EXPECT_NE(svgs[i].find(std::string(">") + testkit::kRestartAction + "</text>"), std::string::npos);
    EXPECT_EQ(testkit::count(svgs[i], "<g class=\"marker action\">"), 2u);
    EXPECT_EQ(testkit::count(svgs[i], "<g class=\"marker rollback\">"), 1u);
  }
  // Each chart's row holds the three runs, with their ids in order.
  EXPECT_LT(html.find("id=\"run1-violations\""), html.find("id=\"run2-violations\""));
  EXPECT_LT(html.find("id=\"run3-throughput\""), html.find("id=\"run1-error-rate\""));
  EXPECT_NE(html.find("no violations"), std::string::npos) << "the shared run's violations chart";
}

TEST(DemoReport, RunsShareTheirAxes) {
  const std::string html = report::render_demo_report(testkit::demo_document());
  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), 3 * kChartsPerRun);
  // The violations charts are the third of each row: the same y ticks in all three, so
  // the shared run's flat zero is drawn on the local run's scale.
  const auto y_ticks = [](const std::string& svg) {
    const auto axes = svg.substr(0, svg.find("</g>"));
    return testkit::count(axes, "text-anchor=\"end\"");
  };
  const std::size_t first_violations = 2 * 3;
  EXPECT_EQ(y_ticks(svgs[first_violations]), y_ticks(svgs[first_violations + 1]));
  EXPECT_EQ(y_ticks(svgs[first_violations]), y_ticks(svgs[first_violations + 2]));
  EXPECT_NE(svgs[first_violations].find(">80</text>"), std::string::npos);
  EXPECT_NE(svgs[first_violations + 1].find(">80</text>"), std::string::npos);
}

TEST(DemoReport, HostileRunIsEscaped) {
  json demo = testkit::demo_document();
  demo["runs"][1] = testkit::hostile_journal();
  demo["conclusions"][testkit::kHostile] = testkit::kHostile;
  const std::string html = report::render_demo_report(demo);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_EQ(testkit::count(html, "<svg"), 3 * kChartsPerRun);
  EXPECT_EQ(testkit::external_reference(html), "");
}

TEST(DemoReport, EdgeCasesAndErrors) {
  json demo = testkit::demo_document();
  demo["runs"] = json::array({testkit::empty_journal()});
  demo.erase("conclusions");
  std::string html = report::render_demo_report(demo);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_EQ(testkit::count(html, "<svg"), kChartsPerRun);

  demo["runs"] = json::array();
  html = report::render_demo_report(demo);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_NE(html.find("no runs"), std::string::npos);

  demo = testkit::demo_document();
  demo["runs"][2]["verdict"].erase("status");
  try {
    report::render_demo_report(demo);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "journal field 'runs[2].verdict.status' is missing");
  }
  demo = testkit::demo_document();
  demo["schema"] = "scalelab.journal/1";
  EXPECT_THROW(report::render_demo_report(demo), std::invalid_argument);
}
