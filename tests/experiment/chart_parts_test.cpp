// The pieces under the report: escaping and number formatting (html_text), round
// axis ticks and their labels, and the chart drawing's edge cases (svg_chart).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lab/report/html_text.hpp"
#include "lab/report/report_charts.hpp"
#include "lab/report/svg_chart.hpp"
#include "tests/experiment/html_checks.hpp"

using namespace scalelab::report;

TEST(HtmlText, EscapesMarkupQuotesAndBrokenUtf8) {
  EXPECT_EQ(html::escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html::escape("caf\xC3\xA9 \xE2\x86\x92 ok"), "caf\xC3\xA9 \xE2\x86\x92 ok");
  EXPECT_EQ(html::escape("x\xFFy"), "x\xEF\xBF\xBDy");
  EXPECT_EQ(html::escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "an overlong '/' is not a '/'";
  EXPECT_EQ(html::escape("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "a truncated sequence";
  EXPECT_EQ(html::escape(std::string("a\0b\x1b", 4)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(html::escape("line\nnext\ttab"), "line\nnext\ttab");
}

TEST(HtmlText, TruncatesOnCharacters) {
  EXPECT_EQ(html::truncate("short", 10), "short");
  EXPECT_EQ(html::truncate("abcdefgh", 5), "abcd\xE2\x80\xA6");
  EXPECT_EQ(html::truncate("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  EXPECT_EQ(html::char_count("\xC3\xA9t\xC3\xA9"), 3u);
}

TEST(HtmlText, Numbers) {
  EXPECT_EQ(html::number(0), "0");
  EXPECT_EQ(html::number(12345), "12,345");
  EXPECT_EQ(html::number(-1234567), "-1,234,567");
  EXPECT_EQ(html::number(0.41), "0.41");
  EXPECT_EQ(html::number(31.2), "31.2");
  EXPECT_EQ(html::number(12345.678, 1), "12,345.7");
  EXPECT_EQ(html::number(-0.001), "0");
  EXPECT_EQ(html::number(1.8e19), "1.8e+19");
  EXPECT_EQ(html::number(std::nan("")), "\xE2\x80\x94");
  EXPECT_EQ(html::seconds(10.002), "10.00 s");
  EXPECT_EQ(html::percent(0.4), "40.0 %");
}

TEST(Ticks, LinearTicksAreRound) {
  EXPECT_EQ(svg::linear_ticks(87, 5, true), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(svg::linear_ticks(30, 10, true), (std::vector<double>{0, 5, 10, 15, 20, 25, 30}));
  EXPECT_EQ(svg::linear_ticks(0, 5, true), (std::vector<double>{0, 1}));
  EXPECT_EQ(svg::linear_ticks(2, 5, true), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(svg::linear_ticks(1, 4, false), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  const auto small = svg::linear_ticks(0.0123, 5, false);
  EXPECT_NEAR(small.back(), 0.0125, 1e-12);
  const auto huge = svg::linear_ticks(1e300, 5, true);
  EXPECT_TRUE(std::isfinite(huge.back()));
  EXPECT_GE(huge.back(), 1e300);
  const auto max = svg::linear_ticks(std::numeric_limits<double>::max(), 5, true);
  for (double t : max) EXPECT_TRUE(std::isfinite(t));
}

TEST(Ticks, LogTicks) {
  EXPECT_EQ(svg::log_ticks(0.4, 180), (std::vector<double>{0.1, 1, 10, 100, 1000}));
  EXPECT_EQ(svg::log_ticks(2, 40), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
}

TEST(Ticks, Labels) {
  EXPECT_EQ(svg::tick_label(0, 5), "0");
  EXPECT_EQ(svg::tick_label(15, 5), "15");
  EXPECT_EQ(svg::tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(svg::tick_label(0.75, 0.25), "0.75");
  EXPECT_EQ(svg::tick_label(2500, 2500), "2.5k");
  EXPECT_EQ(svg::tick_label(5000, 2500), "5k");
  EXPECT_EQ(svg::tick_label(400, 200), "400");
  EXPECT_EQ(svg::tick_label(3e6, 1e6), "3M");
  EXPECT_EQ(svg::tick_label(1000, 1000), "1k");
  EXPECT_EQ(svg::tick_label(0.1, 0.1), "0.1");
  EXPECT_EQ(svg::tick_label(2e300, 2e300), "2e+300");
}

TEST(Chart, GapsMarkersAndEscaping) {
  svg::Chart chart;
  chart.id = "c<1>";
  chart.title = "T&T";
  chart.y_label = "ms";
  chart.series.push_back({"a<b", "#0072B2", "", {{1, 1}, {2, 2}, {3, std::nan("")}, {4, 3}, {5, 4}}});
  chart.markers.push_back({2.5, "<kill>", "tip \"x\"", svg::MarkerKind::action, false});
  chart.ticks.push_back({3, "exit", "<exit>"});
  const std::string out = svg::render(chart);
  EXPECT_EQ(scalelab::testkit::tag_balance_error(out), "");
  EXPECT_EQ(scalelab::testkit::count(out, "<polyline"), 2u) << "a NaN breaks the line in two";
  EXPECT_NE(out.find("id=\"c&lt;1&gt;\""), std::string::npos);
  EXPECT_NE(out.find(">&lt;kill&gt;</text>"), std::string::npos);
  EXPECT_NE(out.find("<title>tip &quot;x&quot;</title>"), std::string::npos);
  EXPECT_NE(out.find("<title>&lt;exit&gt;</title>"), std::string::npos);
  EXPECT_EQ(out.find("xmlns"), std::string::npos) << "inline SVG needs no namespace URL";
}

TEST(Chart, LatencyGoesLogWhenItSpansDecades) {
  svg::Chart chart;
  chart.id = "lat";
  chart.y_label = "latency (ms)";
  chart.allow_log = true;
  chart.series.push_back({"p99", "#000", "", {{1, 0.5}, {2, 900}}});
  EXPECT_NE(svg::render(chart).find("latency (ms), log scale"), std::string::npos);
  chart.series[0].points = {{1, 5}, {2, 9}};
  EXPECT_EQ(svg::render(chart).find("log scale"), std::string::npos);
}

TEST(Chart, ManyMarkersStayInsideTheImage) {
  svg::Chart chart;
  chart.id = "m";
  for (int i = 0; i < 12; ++i)
    chart.markers.push_back({i * 0.5, "a rather long action name " + std::to_string(i), "", svg::MarkerKind::action});
  chart.series.push_back({"s", "#000", "", {{0, 1}, {6, 2}}});
  const std::string out = svg::render(chart);
  EXPECT_EQ(scalelab::testkit::count(out, "<g class=\"marker action\">"), 12u);
  EXPECT_EQ(out.find("y=\"-"), std::string::npos) << "no label above the top edge";
}

TEST(Chart, NaturalOrderOfInstances) {
  EXPECT_TRUE(natural_less("app-2", "app-10"));
  EXPECT_FALSE(natural_less("app-10", "app-2"));
  EXPECT_TRUE(natural_less("app-1", "app-2"));
  EXPECT_TRUE(natural_less("app", "app-1"));
  EXPECT_FALSE(natural_less("app-1", "app-1"));
  EXPECT_TRUE(natural_less("app-01", "app-2"));
}
