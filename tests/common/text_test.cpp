// The shared string helpers, each string in a heap buffer of its exact size, so the
// sanitizer build sees any read past the end.
#include "common/text.hpp"

#include <memory>
#include <string_view>

#include <gtest/gtest.h>

namespace {

using namespace scalelab;

// A copy of `s` that owns exactly s.size() bytes, with nothing after them.
struct Exact {
  explicit Exact(std::string_view s) : bytes(std::make_unique<char[]>(s.size())), size(s.size()) {
    std::copy(s.begin(), s.end(), bytes.get());
  }
  std::string_view view() const { return {bytes.get(), size}; }
  std::unique_ptr<char[]> bytes;
  std::size_t size;
};

}  // namespace

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
  const Exact a("hTtP://"), b("HTTP://");
  EXPECT_TRUE(text::iequals(a.view(), b.view()));
  EXPECT_TRUE(text::iequals(Exact("chunkeD").view(), Exact("CHUNKED").view()));
  EXPECT_FALSE(text::iequals(Exact("chunked").view(), Exact("chunkes").view()));
  EXPECT_FALSE(text::iequals(Exact("http").view(), Exact("http:").view()));
  EXPECT_FALSE(text::iequals(Exact("\xdf").view(), Exact("\xff").view())) << "bytes above ASCII compare as they are";
  EXPECT_TRUE(text::iequals("", ""));
}

TEST(Text, IstartsWithNeedsTheWholePrefix) {
  EXPECT_TRUE(text::istarts_with(Exact("HTTPS://a").view(), "https://"));
  EXPECT_TRUE(text::istarts_with(Exact("hTtp://").view(), "http://"));
  EXPECT_FALSE(text::istarts_with(Exact("http:/").view(), "http://"));
  EXPECT_FALSE(text::istarts_with(Exact("/x").view(), "http://"));
}

TEST(Text, TrimTakesSpacesAndTabsFromBothEnds) {
  EXPECT_EQ(text::trim(" \tvalue \t"), "value");
  EXPECT_EQ(text::trim(" \t "), "");
  EXPECT_EQ(text::trim("a b"), "a b");
}
