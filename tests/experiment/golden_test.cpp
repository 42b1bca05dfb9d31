// Reports and journals compared byte for byte with files kept in golden/: a journal
// written by a real run (golden/run.json, from run.yaml) and its report, and the
// reports of the test fixtures. A change that alters what a journal or a report looks
// like for the same input fails here. To accept such a change on purpose, run the test
// with SCALELAB_UPDATE_GOLDEN=1 and review the difference in git.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/journal/journal_json.hpp"
#include "lab/report/report.hpp"
#include "tests/experiment/journal_fixtures.hpp"

using nlohmann::json;

namespace {

const std::filesystem::path kGolden = std::filesystem::path(SCALELAB_SOURCE_DIR) / "tests/experiment/golden";

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compares `actual` with golden/`name`, or writes it there when updating.
void expect_golden(const std::string& name, const std::string& actual) {
  const auto path = kGolden / name;
  if (std::getenv("SCALELAB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const std::string expected = file_text(path);
  if (actual == expected) return;
  std::size_t at = 0;
  while (at < actual.size() && at < expected.size() && actual[at] == expected[at]) ++at;
  ADD_FAILURE() << name << " differs from byte " << at << ": expected \"" << expected.substr(at, 80)
                << "\", got \"" << actual.substr(at, 80) << "\"";
}

json golden_run() { return json::parse(file_text(kGolden / "run.json")); }

}  // namespace

TEST(Golden, AJournalFileRoundTripsByteForByte) {
  namespace journal = scalelab::journal;
  const std::string text = file_text(kGolden / "run.json");
  const journal::Journal run = journal::parse_journal(json::parse(text));
  EXPECT_EQ(journal::journal_text(journal::to_json(run)), text);
  // And a demo document made of it.
  journal::Demo demo;
  demo.started_at = run.started_at;
  demo.duration_s = 84.5;
  demo.runs = {run, run};
  demo.runs[1].label = "local";
  demo.conclusions = {{"", "one line"}, {"local", "another"}};
  const std::string demo_text = journal::journal_text(journal::to_json(demo));
  EXPECT_EQ(journal::journal_text(journal::to_json(journal::parse_demo(json::parse(demo_text)))), demo_text);
}

TEST(Golden, ReportsAreByteIdentical) {
  using scalelab::report::render_demo_report;
  using scalelab::report::render_report;
  namespace testkit = scalelab::testkit;
  expect_golden("run.html", render_report(golden_run()));
  expect_golden("fixture-local.html", render_report(testkit::realistic_journal("local")));
  expect_golden("fixture-empty.html", render_report(testkit::empty_journal()));
  expect_golden("fixture-hostile.html", render_report(testkit::hostile_journal()));
  expect_golden("fixture-demo.html", render_demo_report(testkit::demo_document()));
}
