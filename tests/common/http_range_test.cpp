// The Range grammar (common/http_range.hpp), case by case against RFC 9110 §14.1.
#include "common/http_range.hpp"

#include <gtest/gtest.h>

using namespace scalelab::http_range;

namespace {

// The specs of `value` as "first-last" strings ("-N" for a suffix, "F-" open-ended),
// or "invalid".
std::string shape(const char* value) {
  const auto specs = parse(value);
  if (!specs) return "invalid";
  std::string out;
  for (const auto& s : *specs) {
    if (!out.empty()) out += ",";
    if (!s.first) {
      out += "-" + std::to_string(s.suffix);
    } else {
      out += std::to_string(*s.first) + "-" + (s.last ? std::to_string(*s.last) : "");
    }
  }
  return out;
}

}  // namespace

TEST(HttpRange, ParsesValidRangeSets) {
  EXPECT_EQ(shape("bytes=0-0"), "0-0");
  EXPECT_EQ(shape("bytes=5-9"), "5-9");
  EXPECT_EQ(shape("bytes=300-"), "300-");
  EXPECT_EQ(shape("bytes=-10"), "-10");
  EXPECT_EQ(shape("bytes=0-1,1000-"), "0-1,1000-");
  EXPECT_EQ(shape("bytes=0-1 , 3-4,\t-5"), "0-1,3-4,-5");
  EXPECT_EQ(shape("BYTES=1-2"), "1-2") << "the unit is case-insensitive";
  EXPECT_EQ(shape("bytes=1-2,,3-4,"), "1-2,3-4") << "empty list elements are allowed";
  EXPECT_EQ(shape("bytes=99999999999999999999999-"), "18446744073709551615-") << "huge positions saturate";
}

TEST(HttpRange, RejectsWhatIsNotABytesRangeSet) {
  for (const char* bad : {"", "bytes=", "bytes=-", "bytes=,", "bytes=5-1", "bytes=a-b", "bytes=1-2-3", "bytes= 1 -2",
                          "bytes=--1", "bytes=+1-2", "items=0-1", "bytes 0-1", "bytes0-1", "bytes=0-1,5-3",
                          "bytes=0x10-"}) {
    EXPECT_EQ(shape(bad), "invalid") << bad;
  }
}

TEST(HttpRange, ResolvesAgainstASize) {
  auto slice = [](const char* value, std::uint64_t size) -> std::string {
    const auto s = resolve(parse(value)->front(), size);
    return s ? std::to_string(s->offset) + "+" + std::to_string(s->length) : "unsatisfiable";
  };
  EXPECT_EQ(slice("bytes=0-0", 317), "0+1");
  EXPECT_EQ(slice("bytes=310-99999", 317), "310+7");
  EXPECT_EQ(slice("bytes=316-", 317), "316+1");
  EXPECT_EQ(slice("bytes=317-", 317), "unsatisfiable");
  EXPECT_EQ(slice("bytes=-10", 317), "307+10");
  EXPECT_EQ(slice("bytes=-1000", 317), "0+317");
  EXPECT_EQ(slice("bytes=-0", 317), "unsatisfiable");
  EXPECT_EQ(slice("bytes=0-0", 0), "unsatisfiable");
  EXPECT_EQ(slice("bytes=18446744073709551615-", 317), "unsatisfiable");
  EXPECT_EQ(slice("bytes=0-18446744073709551615", 317), "0+317");
}

TEST(HttpRange, ContentRangeValues) {
  EXPECT_EQ(content_range({5, 5}, 317), "bytes 5-9/317");
  EXPECT_EQ(content_range({0, 1}, 1), "bytes 0-0/1");
  EXPECT_EQ(unsatisfied_range(317), "bytes */317");
}
