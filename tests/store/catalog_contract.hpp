// What every catalog backend must do (store/catalog.hpp), run against each of them:
// Redis's (redis_backends_test.cpp) and PostgreSQL's (database_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store/catalog.hpp"

namespace scalelab::testkit {

// Seeds 100 items and writes them from four threads: every write gets its own version.
inline void expect_catalog_versions_only_grow(store::Catalog& catalog) {
  catalog.seed(100);
  auto item = catalog.get(42);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->version, 1);
  EXPECT_EQ(item->name, "Item 42");
  EXPECT_FALSE(catalog.get(101));
  EXPECT_FALSE(catalog.set_price(101, 1.0));
  auto updated = catalog.set_price(42, 12.5);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_DOUBLE_EQ(updated->price, 12.5);
  catalog.seed(100);  // seeding again keeps what exists
  EXPECT_EQ(catalog.get(42)->version, 2);
  // Concurrent writers: every write gets its own version.
  std::vector<std::thread> writers;
  std::mutex mu;
  std::set<std::int64_t> versions;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto v = catalog.set_price(7, t + i)->version;
        std::lock_guard lock(mu);
        versions.insert(v);
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(versions.size(), 100u);
  EXPECT_EQ(catalog.get(7)->version, 101);
  EXPECT_EQ(scalelab::store::item_from_json(to_json(*updated)), *updated);
}

}  // namespace scalelab::testkit
