#include "common/ids.hpp"

#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/forked.hpp"

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

TEST(Ids, UniqueTokensHaveTheShapeOfRandomOnes) {
  for (std::size_t bytes : {1u, 8u, 9u, 12u, 16u, 32u}) {
    const std::string t = ids::unique_token(bytes);
    EXPECT_EQ(t.size(), ids::token_length(bytes));
    EXPECT_TRUE(ids::is_token(t, bytes)) << t;
  }
}

TEST(Ids, UniqueTokensDoNotRepeatAcrossThreads) {
  constexpr int kThreads = 4, kEach = 50000;
  std::vector<std::vector<std::string>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kEach; ++i) drawn[t].push_back(ids::unique_token(12));
    });
  for (auto& thread : threads) thread.join();
  std::set<std::string> seen;
  for (const auto& tokens : drawn)
    for (const auto& token : tokens) EXPECT_TRUE(seen.insert(token).second) << token;
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
}

// A child made by fork(2) inherits its parent's generator; it must not go on to draw
// the parent's next tokens.
TEST(Ids, AForkedChildDrawsOtherTokensThanItsParent) {
  (void)ids::unique_token(12);  // this thread's generator is seeded before the fork
  const auto from_child = testkit::output_of_forked_child([] {
    std::string tokens;
    for (int i = 0; i < 100; ++i) tokens += ids::unique_token(12);
    return tokens;
  });
  std::set<std::string> parent;
  for (int i = 0; i < 100; ++i) parent.insert(ids::unique_token(12));
  ASSERT_TRUE(from_child.has_value());
  ASSERT_EQ(from_child->size(), 100 * ids::token_length(12));
  for (std::size_t at = 0; at < from_child->size(); at += ids::token_length(12))
    EXPECT_EQ(parent.count(from_child->substr(at, ids::token_length(12))), 0u);
}
