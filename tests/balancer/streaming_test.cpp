// Integration tests: a 50 MiB body streams through in both directions with flat
// memory (the balancer's peak RSS barely moves).
#include <gtest/gtest.h>

#include "tests/balancer/harness.hpp"

using namespace scalelab::testkit;
using namespace scalelab::balancer_test;

namespace {
constexpr std::size_t kSize = 50u * 1024 * 1024;
constexpr long kAllowedGrowthKiB = 8 * 1024;
}  // namespace

TEST(Streaming, FiftyMebibyteUploadWithFlatMemory) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0"});
  lb.client().Get("/echo");  // warm up: first connection and buffers exist
  const long before = peak_rss_kib(lb.pid());
  auto cli = lb.client();
  const std::string block(64 * 1024, 'u');
  auto r = cli.Post(
      "/sink", kSize,
      [&](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        sink.write(block.data(), std::min(length, std::min(block.size(), kSize - offset)));
        return true;
      },
      "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["bytes"], kSize);
  const long after = peak_rss_kib(lb.pid());
  EXPECT_LT(after - before, kAllowedGrowthKiB) << "before " << before << " KiB, after " << after << " KiB";
}

TEST(Streaming, FiftyMebibyteChunkedUploadAndDownloadWithFlatMemory) {
  TestBackend a("a");
  Balancer lb({"--backend=" + a.spec(), "--health-interval-ms=0"});
  lb.client().Get("/echo");
  const long before = peak_rss_kib(lb.pid());
  auto cli = lb.client();
  std::size_t received = 0;
  auto down = cli.Get("/blob?bytes=" + std::to_string(kSize), [&](const char*, std::size_t n) {
    received += n;
    return true;
  });
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 200);
  EXPECT_EQ(received, kSize);
  const std::string block(64 * 1024, 'c');
  std::size_t sent = 0;
  auto up = cli.Post(
      "/sink",
      [&](std::size_t, httplib::DataSink& sink) {
        if (sent >= kSize) {
          sink.done();
          return true;
        }
        sink.write(block.data(), block.size());
        sent += block.size();
        return true;
      },
      "application/octet-stream");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200);
  EXPECT_EQ(nlohmann::json::parse(up->body)["bytes"], kSize);
  const long after = peak_rss_kib(lb.pid());
  EXPECT_LT(after - before, kAllowedGrowthKiB) << "before " << before << " KiB, after " << after << " KiB";
}
