// The embedded page: every file the page loads is there with the right type, and no
// file refers to anything off the machine (the console must work offline).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "lab/console/assets.hpp"

using namespace scalelab::console;

TEST(ConsoleAssets, ThePageAndWhatItLoads) {
  const Asset* index = find_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  const std::string html(index->body);
  // Every /console/NAME the page or its modules load is embedded.
  std::regex ref(R"re((?:href|src)="/console/([A-Za-z0-9_-]+\.[a-z]+)")re");
  int refs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it, ++refs)
    EXPECT_NE(find_asset((*it)[1].str()), nullptr) << (*it)[1];
  EXPECT_GE(refs, 2);
  for (std::size_t i = 0; i < kEmbeddedFilesCount; ++i) {
    const std::string body(kEmbeddedFiles[i].body);
    std::regex import(R"re(from '\./([A-Za-z0-9_-]+\.js)')re");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), import); it != std::sregex_iterator(); ++it)
      EXPECT_NE(find_asset((*it)[1].str()), nullptr) << kEmbeddedFiles[i].name << " imports " << (*it)[1];
  }
  EXPECT_EQ(find_asset("console.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset("console.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_asset("missing.js"), nullptr);
}

TEST(ConsoleAssets, NothingFromOffTheMachine) {
  for (std::size_t i = 0; i < kEmbeddedFilesCount; ++i) {
    std::string body(kEmbeddedFiles[i].body);
    // The SVG namespace is a name, not a download.
    for (std::size_t at; (at = body.find("http://www.w3.org/2000/svg")) != std::string::npos;) body.erase(at, 26);
    EXPECT_EQ(body.find("http://"), std::string::npos) << kEmbeddedFiles[i].name;
    EXPECT_EQ(body.find("https://"), std::string::npos) << kEmbeddedFiles[i].name;
    EXPECT_EQ(body.find("@import"), std::string::npos) << kEmbeddedFiles[i].name;
    EXPECT_EQ(body.find("@font-face"), std::string::npos) << kEmbeddedFiles[i].name;
  }
}
