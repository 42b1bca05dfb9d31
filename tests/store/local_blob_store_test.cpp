// Uploads on local disk: streaming round trips, ranges, and keys that try to escape.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "store/blob_store.hpp"
#include "store/errors.hpp"
#include "tests/store/blob_io.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab::store;
namespace fs = std::filesystem;

using scalelab::testkit::chunks_of;
using scalelab::testkit::read_all;

TEST(LocalBlobStore, RoundTripWithSizeTypeAndHash) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  const std::string data = "hello, scalelab uploads";
  auto put = blobs->put("abc", chunks_of(data), data.size(), "text/plain", "owner-1");
  EXPECT_EQ(put.size, data.size());
  EXPECT_EQ(put.sha256, scalelab::crypto::sha256_hex(data));
  auto info = blobs->head("abc");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->content_type, "text/plain");
  EXPECT_EQ(read_all(*blobs, "abc"), data);
  EXPECT_EQ(read_all(*blobs, "abc", ByteRange{7, 8}), "scalelab");
  EXPECT_NO_THROW(blobs->check());
}

TEST(LocalBlobStore, TheOwnerIsKeptWithTheObject) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  blobs->put("mine", chunks_of("abc"), 3, "text/plain", "alice");
  blobs->put("chunked", chunks_of("abc", 1), std::nullopt, "text/html\r\nmallory", "bob");
  EXPECT_EQ(blobs->head("mine")->owner, "alice");
  EXPECT_EQ(blobs->head("chunked")->owner, "bob") << "a line break in the type cannot name another owner";
  EXPECT_EQ(blobs->get("mine", std::nullopt, [](const char*, std::size_t) { return true; })->owner, "alice");
  EXPECT_THROW(blobs->put("bad", chunks_of("x"), 1, "", "two words"), std::invalid_argument);
  // An object stored before owners were kept has none.
  std::ofstream(dir.path() / "meta" / "mine", std::ios::trunc) << "text/plain\n";
  EXPECT_EQ(blobs->head("mine")->owner, "");
}

TEST(LocalBlobStore, ARangePastTheEndIsAnErrorNotAShortRead) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  blobs->put("abc", chunks_of("0123456789"), 10, "text/plain", "alice");
  EXPECT_EQ(read_all(*blobs, "abc", ByteRange{8, 2}), "89");
  EXPECT_THROW(read_all(*blobs, "abc", ByteRange{8, 5}), StoreError);
  EXPECT_THROW(read_all(*blobs, "abc", ByteRange{20, 1}), StoreError);
}

TEST(LocalBlobStore, UnknownSizeAndEmptyBodies) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  EXPECT_EQ(blobs->put("chunked", chunks_of(std::string(100000, 'x')), std::nullopt, "", "owner-1").size, 100000u);
  EXPECT_EQ(blobs->put("empty", chunks_of(""), 0, "", "owner-1").sha256, scalelab::crypto::sha256_hex(""));
  EXPECT_EQ(blobs->head("empty")->size, 0u);
}

TEST(LocalBlobStore, MissingKeys) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  EXPECT_FALSE(blobs->head("nope"));
  EXPECT_FALSE(blobs->get("nope", std::nullopt, [](const char*, std::size_t) { return true; }));
  EXPECT_FALSE(blobs->remove("nope"));
}

TEST(LocalBlobStore, ShortOrAbortedBodiesLeaveNothingBehind) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store(dir.str(), metrics);
  EXPECT_THROW(blobs->put("short", chunks_of("12345"), 10, "", "owner-1"), TruncatedBody);
  EXPECT_THROW(blobs->put("long", chunks_of("12345"), 3, "", "owner-1"), TruncatedBody);
  EXPECT_THROW(blobs->put("aborted",
                          [](const ChunkSink& sink) {
                            sink("abc", 3);
                            throw std::runtime_error("client went away");
                          },
                          std::nullopt, "", "owner-1"),
               std::runtime_error);
  for (const char* key : {"short", "long", "aborted"}) EXPECT_FALSE(blobs->head(key)) << key;
  EXPECT_TRUE(fs::is_empty(dir.path() / "tmp"));
}

TEST(LocalBlobStore, RejectsKeysThatCouldEscapeTheFolder) {
  scalelab::testkit::TempDir dir;
  StoreMetrics metrics;
  auto blobs = make_local_blob_store((dir / "store").string(), metrics);
  for (const char* bad : {"../escape", "..", ".", "a/b", "/etc/passwd", "", ".hidden", "a\\b", "%2e%2e"}) {
    EXPECT_FALSE(is_valid_blob_key(bad)) << bad;
    EXPECT_THROW(blobs->put(bad, chunks_of("x"), 1, "", "owner-1"), std::invalid_argument) << bad;
    EXPECT_THROW(blobs->head(bad), std::invalid_argument) << bad;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "escape"));
  EXPECT_FALSE(is_valid_blob_key(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_blob_key(std::string(201, 'a')));
  EXPECT_TRUE(is_valid_blob_key("Ab-9_x.bin"));
}
