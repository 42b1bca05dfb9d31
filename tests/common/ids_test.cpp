#include "common/ids.hpp"

#include <set>

#include <gtest/gtest.h>

using namespace scalelab;

TEST(Ids, TokensAreUrlSafeAndOfTheDocumentedLength) {
  for (std::size_t bytes : {1u, 2u, 3u, 16u, 32u}) {
    const std::string t = ids::random_token(bytes);
    EXPECT_EQ(t.size(), ids::token_length(bytes));
    EXPECT_TRUE(ids::is_token(t, bytes)) << t;
  }
  EXPECT_EQ(ids::token_length(16), 22u);
}

TEST(Ids, TokensDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(ids::random_token()).second);
}

TEST(Ids, RejectsForgedShapes) {
  EXPECT_FALSE(ids::is_token(""));
  EXPECT_FALSE(ids::is_token("short"));
  EXPECT_FALSE(ids::is_token("../../../../etc/passwd"));
  EXPECT_FALSE(ids::is_token("AAAAAAAAAAAAAAAAAAAAA="));  // right length, '=' not in the alphabet
  EXPECT_FALSE(ids::is_token(std::string(22, '/')));
  EXPECT_TRUE(ids::is_token(std::string(22, '-')));
}
