// Which Range values count as a valid byte range-set, and their canonical spelling.
#include "common/byte_ranges.hpp"

#include <gtest/gtest.h>

using scalelab::http_ranges::canonical_byte_ranges;

TEST(ByteRanges, ValidSetsComeOutCanonical) {
  EXPECT_EQ(canonical_byte_ranges("bytes=0-499"), "bytes=0-499");
  EXPECT_EQ(canonical_byte_ranges("bytes=500-"), "bytes=500-");
  EXPECT_EQ(canonical_byte_ranges("bytes=-200"), "bytes=-200");
  EXPECT_EQ(canonical_byte_ranges("Bytes=0-0,2-3"), "bytes=0-0,2-3");
  EXPECT_EQ(canonical_byte_ranges("  bytes=0-1 ,\t5-, -9  "), "bytes=0-1,5-,-9");
  EXPECT_EQ(canonical_byte_ranges("bytes=123456789012345678-123456789012345678"),
            "bytes=123456789012345678-123456789012345678");
}

TEST(ByteRanges, AnythingElseIsIgnored) {
  for (const char* bad : {"", "bytes", "bytes=", "bytes=z", "items=0-1", "bytes =0-1", "bytes= 0-1", "bytes=5-1",
                          "bytes=-", "bytes=0-1,", "bytes=,0-1", "bytes=0-1,,2-3", "bytes=0 -1", "bytes=+1-2",
                          "bytes=0-1234567890123456789", "bytes=1234567890123456789-", "bytes=0x1-2", "bytes=1-2-3",
                          "bytesX0-1", "bytes=0-1;x"})
    EXPECT_EQ(canonical_byte_ranges(bad), std::nullopt) << bad;
}
