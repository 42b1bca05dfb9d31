// One experiment's HTML report (lab/report/report.hpp): the charts and their
// markers, the hypothesis table, the verdict, escaping, and that nothing points
// outside the file. The rendered examples are written to the test temp dir
// (scalelab-experiment-report/) for a person to open.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lab/journal/journal_json.hpp"
#include "lab/report/report.hpp"
#include "tests/experiment/html_checks.hpp"
#include "tests/experiment/journal_fixtures.hpp"

using namespace scalelab;
using nlohmann::json;

namespace {

constexpr std::size_t kCharts = 5;
const char* const kChartTitles[] = {"Throughput", "Error rate", "Violations by kind", "Latency p50 and p99",
                                    "Answers per instance"};

void save(const std::string& name, const std::string& html) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "scalelab-experiment-report";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << html;
}

// The text of every <g class="marker ..."> label in `svg`. (No std::regex: g++ 12
// warns inside <regex> under the sanitizers.)
std::vector<std::string> marker_labels(const std::string& svg) {
  std::vector<std::string> labels;
  for (auto at = svg.find("<g class=\"marker "); at != std::string::npos; at = svg.find("<g class=\"marker ", at + 1)) {
    const auto text = svg.find('>', svg.find("<text", at)) + 1;
    labels.push_back(svg.substr(text, svg.find("</text>", text) - text));
  }
  return labels;
}

// The legend texts of `svg`.
std::string legend_of(const std::string& svg) {
  const auto start = svg.find("<g class=\"legend\"");
  return start == std::string::npos ? "" : svg.substr(start, svg.find("</g>", start) - start);
}

std::string hypothesis_section(const std::string& html) {
  const auto start = html.find("<table class=\"data hypothesis\">");
  return start == std::string::npos ? "" : html.substr(start, html.find("</table>", start) - start);
}

}  // namespace

TEST(Report, RealisticJournalHasEveryChartWithItsMarkers) {
  const std::string html = report::render_report(testkit::realistic_journal("local"));
  save("local.html", html);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);

  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), kCharts);
  EXPECT_EQ(testkit::count(html, "<svg"), kCharts);
  EXPECT_EQ(testkit::count(html, "</svg>"), kCharts);
  for (std::size_t i = 0; i < kCharts; ++i) {
    SCOPED_TRACE(kChartTitles[i]);
    EXPECT_NE(html.find(std::string("<figcaption>") + kChartTitles[i] + "</figcaption>"), std::string::npos);
    EXPECT_NE(svgs[i].find(std::string(">") + kChartTitles[i]), std::string::npos) << "the SVG's <title>";
    const auto labels = marker_labels(svgs[i]);
    EXPECT_EQ(labels, (std::vector<std::string>{testkit::kKillAction, testkit::kRestartAction,
                                                std::string("rollback: ") + testkit::kRollbackAction}));
    EXPECT_EQ(testkit::count(svgs[i], "<g class=\"marker action\">"), 2u);
    EXPECT_EQ(testkit::count(svgs[i], "<g class=\"marker rollback\">"), 1u);
    // Lab events inside the time axis become ticks; the one before t0 does not.
    EXPECT_EQ(testkit::count(svgs[i], "<g class=\"event-tick\">"), 4u);
    EXPECT_NE(svgs[i].find("<title>10.00 s exit app-2: signal KILL (scalelab kill)</title>"), std::string::npos);
  }
}

TEST(Report, ChartsHaveSeriesAxesAndUnits) {
  const std::string html = report::render_report(testkit::realistic_journal("local"));
  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), kCharts);
  EXPECT_NE(svgs[0].find("requests/s"), std::string::npos);
  EXPECT_NE(svgs[1].find("failed requests (%)"), std::string::npos);
  EXPECT_NE(svgs[3].find("latency (ms"), std::string::npos);
  for (const auto& svg : svgs) EXPECT_NE(svg.find("time since load start (s)"), std::string::npos);

  // Violations: a series for each kind that occurred, none for the others.
  const std::string violations = legend_of(svgs[2]);
  EXPECT_NE(violations.find(">session_lost<"), std::string::npos);
  EXPECT_NE(violations.find(">cart_lost_write<"), std::string::npos);
  EXPECT_EQ(violations.find("upload_missing"), std::string::npos);
  EXPECT_EQ(testkit::count(svgs[2], "<g class=\"series\">"), 2u);

  // Latency: p50 and p99; answers: one stacked area per instance in natural order.
  EXPECT_NE(legend_of(svgs[3]).find(">p50<"), std::string::npos);
  EXPECT_NE(legend_of(svgs[3]).find(">p99<"), std::string::npos);
  const std::string instances = legend_of(svgs[4]);
  EXPECT_LT(instances.find(">app-1<"), instances.find(">app-2<"));
  EXPECT_LT(instances.find(">app-2<"), instances.find(">app-3<"));
  EXPECT_EQ(testkit::count(svgs[4], "<polygon"), 3u);

  // Round tick labels on the time axis.
  for (const char* tick : {">0</text>", ">5</text>", ">10</text>", ">30</text>"})
    EXPECT_NE(svgs[0].find(tick), std::string::npos) << tick;
}

TEST(Report, HypothesisTableAndVerdict) {
  const std::string deviated = report::render_report(testkit::realistic_journal("local"));
  const std::string table = hypothesis_section(deviated);
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(testkit::count(table, "<td class=\"pass\">PASS</td>"), 4u);  // 2 before, 2 after
  EXPECT_EQ(testkit::count(table, "<td class=\"fail\">FAIL</td>"), 1u);
  EXPECT_NE(table.find("Before the method: hypothesis met"), std::string::npos);
  EXPECT_NE(table.find("After the method: hypothesis NOT met"), std::string::npos);
  EXPECT_NE(table.find("no lost sessions"), std::string::npos);
  EXPECT_NE(table.find("\xE2\x89\xA4 0"), std::string::npos) << "tolerance max 0 as <= 0";
  EXPECT_NE(table.find("\xE2\x89\xA4 1.0 %"), std::string::npos) << "an error-rate tolerance as a percentage";
  EXPECT_NE(table.find("latency p99"), std::string::npos);
  EXPECT_NE(table.find("180 ms"), std::string::npos);
  EXPECT_NE(deviated.find("<span class=\"badge deviated\">"), std::string::npos);
  EXPECT_NE(deviated.find("did not hold"), std::string::npos);

  const std::string held = report::render_report(testkit::realistic_journal("shared"));
  save("shared.html", held);
  EXPECT_NE(held.find("<span class=\"badge held\">"), std::string::npos);
  EXPECT_EQ(testkit::count(hypothesis_section(held), "FAIL"), 0u);
  EXPECT_NE(held.find(">no violations</text>"), std::string::npos);
}

TEST(Report, SettingsActionsAndEvents) {
  const std::string html = report::render_report(testkit::realistic_journal("local"));
  for (const char* text : {"Kill one of three instances under load", "with local state its sessions die",
                           "<li>chaos</li>", "2026-11-26T09:00:00.000Z", "34.2 s", "round_robin",
                           "local (every concern)", "session=4,cart=2,upload=1,catalog=2,ratelimit=1",
                           "sent SIGKILL to app-2 (pid 4242)", "id=app-2, signal=KILL", "10.00 s", "10.00 s",
                           "<h3>Rollbacks</h3>", "out of the balancer", "-2.50 s", ">8080<"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST(Report, FailedRequestsSayWhatFailedWhereAndWhen) {
  const std::string html = report::render_report(testkit::realistic_journal("local"));
  for (const char* text : {"<h2 id=\"failures\">Failed requests</h2>", "GET /api/me", ">503<",
                           "no_backends: no backend is available", ">balancer<", ">b-42<", "POST /api/cart/items",
                           ">reset<", "10.01 s"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
  EXPECT_NE(report::render_report(testkit::empty_journal()).find("No failed request."), std::string::npos);
}

// The load keeps the first violations of each kind with the request that showed them:
// where to look in the logs, and what the answer contradicted.
TEST(Report, FirstViolationsSayWhichRequestShowedThemAndWhere) {
  const std::string html = report::render_report(testkit::realistic_journal("local"));
  for (const char* text : {"<h2 id=\"violations\">First violations</h2>", "GET /api/me", ">401<", ">session_lost<",
                           "GET /api/cart", "cart_lost_write: 2 lines answered, 3 acknowledged", ">app-3<",
                           ">app-3-9f2c<", "11.20 s", "violations.</p>"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
  EXPECT_NE(report::render_report(testkit::realistic_journal("shared")).find("No violation kept."), std::string::npos);
}

TEST(Report, EmptyAbortedJournal) {
  const std::string html = report::render_report(testkit::empty_journal());
  save("empty.html", html);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), kCharts) << "every chart is drawn, empty";
  for (const auto& svg : svgs) {
    EXPECT_NE(svg.find(">no samples</text>"), std::string::npos);
    EXPECT_EQ(svg.find("NaN"), std::string::npos);
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("inf"), std::string::npos);
  }
  EXPECT_NE(html.find("<span class=\"badge aborted\">"), std::string::npos);
  EXPECT_NE(html.find("lab did not become ready within 15 s"), std::string::npos);
  EXPECT_NE(html.find("not checked (the run aborted)"), std::string::npos);
  EXPECT_NE(html.find("No actions."), std::string::npos);
  EXPECT_NE(html.find("No lab events recorded."), std::string::npos);
}

TEST(Report, HostileStringsAreEscaped) {
  const std::string html = report::render_report(testkit::hostile_journal());
  save("hostile.html", html);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("</script"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_EQ(html.find("\xff"), std::string::npos) << "invalid UTF-8 is replaced";
  EXPECT_EQ(testkit::count(html, "<svg"), kCharts);
  const std::string escaped = "&lt;/script&gt;&lt;svg onload=alert(1)&gt;&amp;&lt;&gt;&quot;&#39;";
  EXPECT_GT(testkit::count(html, escaped), 10u);
  EXPECT_NE(html.find("<title>" + escaped), std::string::npos) << "the page title";
  EXPECT_EQ(testkit::external_reference(html), "");
}

TEST(Report, SelfContained) {
  for (const json& journal : {testkit::realistic_journal("local"), testkit::empty_journal()}) {
    const std::string html = report::render_report(journal);
    EXPECT_EQ(testkit::external_reference(html), "");
    EXPECT_NE(html.find("<style>"), std::string::npos);
    EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  }
}

TEST(Report, SingleSampleZeroAndHugeValues) {
  json journal = testkit::realistic_journal("local");
  journal["series"] = json::array({journal["series"][0]});
  journal["series"][0]["rps"] = 1e300;
  journal["series"][0]["requests"] = 0;
  journal["series"][0]["latency_ms"]["p99"] = 0;
  journal["series"][0]["violations"]["session_lost"] = 1.8e19;
  const std::string html = report::render_report(journal);
  save("single-sample.html", html);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), kCharts);
  for (const auto& svg : svgs) {
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("inf"), std::string::npos);
  }
  EXPECT_NE(svgs[0].find("<circle"), std::string::npos) << "one sample is a dot, not an invisible line";
  EXPECT_NE(svgs[4].find("<rect x="), std::string::npos) << "one stacked sample is a column";
  EXPECT_NE(svgs[0].find("e+300"), std::string::npos) << "a huge tick label stays short";
}

TEST(Report, MissingOptionalFieldsRender) {
  json minimal = {{"schema", "scalelab.journal/1"},
                  {"experiment", {{"title", "minimal"}}},
                  {"series", {{{"t", 1}}, {{"t", 2}, {"requests", 5}}}},
                  {"actions", {{{"name", "no time"}}, {{"type", "pause"}, {"at_s", 1.5}}}},
                  {"verdict", {{"status", "completed"}}}};
  const std::string html = report::render_report(minimal);
  EXPECT_EQ(testkit::tag_balance_error(html), "");
  const auto svgs = testkit::svg_elements(html);
  ASSERT_EQ(svgs.size(), kCharts);
  // An action without a time is in the table but has no marker; one named only by its
  // type is labelled by it.
  EXPECT_EQ(marker_labels(svgs[0]), std::vector<std::string>{"pause"});
  EXPECT_NE(html.find("no time"), std::string::npos);
  EXPECT_NE(html.find("No hypothesis checks recorded."), std::string::npos);
}

TEST(Report, BadJournalsNameTheField) {
  const auto error_of = [](const json& journal) {
    try {
      report::render_report(journal);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  json j = testkit::realistic_journal();
  j.erase("verdict");
  EXPECT_EQ(error_of(j), "journal field 'verdict' is missing");
  j = testkit::realistic_journal();
  j["verdict"]["status"] = "maybe";
  EXPECT_NE(error_of(j).find("'verdict.status' must be completed, deviated or aborted"), std::string::npos);
  j = testkit::realistic_journal();
  j["schema"] = "scalelab.journal/2";
  EXPECT_NE(error_of(j).find("'schema' must be \"scalelab.journal/1\""), std::string::npos);
  j = testkit::realistic_journal();
  j["experiment"].erase("title");
  EXPECT_EQ(error_of(j), "journal field 'experiment.title' is missing");
  j = testkit::realistic_journal();
  j["series"][3]["latency_ms"]["p99"] = "slow";
  EXPECT_EQ(error_of(j), "journal field 'series[3].latency_ms.p99' must be a number");
  j = testkit::realistic_journal();
  j["actions"][1]["started_s"] = true;
  EXPECT_EQ(error_of(j), "journal field 'actions[1].started_s' must be a number");
  j = testkit::realistic_journal();
  j["events"][0].erase("t_s");
  EXPECT_EQ(error_of(j), "journal field 'events[0].t_s' is missing");
  j = testkit::realistic_journal();
  j["load"]["failures"][0]["status"] = "busy";
  EXPECT_EQ(error_of(j), "journal field 'load.failures[0].status' must be a number");
  j = testkit::realistic_journal();
  j["load"]["violations"] = json::array({{{"t_s", 4.961}, {"method", "GET"}, {"target", "/api/uploads/x"},
                                          {"error", "upload_corrupt"}, {"detail", "a body of 3 bytes"},
                                          {"instance", "app-1"}, {"request_id", "r-1"}, {"status", 200}}});
  const journal::Journal with_violation = journal::parse_journal(j);
  ASSERT_EQ(with_violation.load->violations.size(), 1u);
  EXPECT_EQ(with_violation.load->violations[0].error, "upload_corrupt");
  EXPECT_EQ(journal::to_json(with_violation)["load"]["violations"], j["load"]["violations"]) << "it round-trips";
  j["load"]["violations"][0]["status"] = "ok";
  EXPECT_EQ(error_of(j), "journal field 'load.violations[0].status' must be a number");
  EXPECT_EQ(error_of(json::array()), "journal field '(journal)' must be an object");
}

TEST(Report, SameJournalSameReport) {
  EXPECT_EQ(report::render_report(testkit::realistic_journal()),
            report::render_report(testkit::realistic_journal()));
}
