// Unit tests: a hand-written JSON line is valid JSON that nlohmann::json reads back to
// the same values, whatever bytes the strings held; valid UTF-8 passes through and
// each ill-formed part reads as one U+FFFD, as nlohmann's own dump with
// error_handler_t::replace has it.
#include "common/json_line.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

using scalelab::log::JsonLine;

namespace {

std::string escaped(std::string_view s) {
  std::string out;
  scalelab::log::append_json_escaped(out, s);
  return out;
}

// What the escaped text reads back as, through nlohmann::json.
std::string read_back(std::string_view s) { return nlohmann::json::parse("\"" + escaped(s) + "\"").get<std::string>(); }

}  // namespace

TEST(JsonLine, ALineHasTheStampTheFieldsAndEndsTheLine) {
  std::string out = "earlier line\n";
  const std::string stamp = scalelab::log::stamp_members("info", "app", "app-\"1");
  JsonLine line(out, stamp);
  line.field("method", "GET")
      .field("status", 200)
      .field("bytes", std::uint64_t{12345678901234})
      .field("delta", -3)
      .millis("duration_ms", 1.2504)
      .millis("negative_ms", -2.0)
      .null_field("backend");
  line.end();
  ASSERT_EQ(out.rfind("earlier line\n{\"ts\":\"", 0), 0u) << out;
  ASSERT_EQ(out.back(), '\n');
  const auto j = nlohmann::json::parse(out.substr(13));
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["component"], "app");
  EXPECT_EQ(j["instance"], "app-\"1");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 12345678901234u);
  EXPECT_EQ(j["delta"], -3);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.250);
  EXPECT_DOUBLE_EQ(j["negative_ms"].get<double>(), 0);
  EXPECT_TRUE(j["backend"].is_null());
  const std::string ts = j["ts"];
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-11-26T07:45:08.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_EQ(scalelab::log::stamp_members("warn", "lb", ""), ",\"level\":\"warn\",\"component\":\"lb\"");
}

TEST(JsonLine, EscapesWhatJsonNeedsAndKeepsValidUtf8) {
  EXPECT_EQ(escaped("plain /path?x=1"), "plain /path?x=1");
  EXPECT_EQ(escaped("a\"b\\c\x01\n\x7f"), "a\\\"b\\\\c\\u0001\\u000a\\u007f");
  // Two, three and four bytes, kept as they are: é, €, U+10FFFF, and a CJK character.
  for (const std::string valid : {"\xc3\xa9", "\xe2\x82\xac", "\xf4\x8f\xbf\xbf", "\xe4\xb8\xad"})
    EXPECT_EQ(escaped(valid), valid);
}

TEST(JsonLine, EachIllFormedPartReadsAsOneReplacementCharacter) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(read_back("\xff"), fffd);
  EXPECT_EQ(read_back("a\x80z"), "a" + fffd + "z");                      // a lone continuation byte
  EXPECT_EQ(read_back("\xc0\xaf"), fffd + fffd);                          // an overlong '/'
  EXPECT_EQ(read_back("\xe0\x80\xaf"), fffd + fffd + fffd);               // an overlong, three bytes
  EXPECT_EQ(read_back("\xed\xa0\x80"), fffd + fffd + fffd);               // a surrogate, U+D800
  EXPECT_EQ(read_back("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);    // above U+10FFFF
  EXPECT_EQ(read_back("\xe2\x82"), fffd);                                 // cut short at the end: one
  EXPECT_EQ(read_back("\xe2\x82z\xc3\xa9"), fffd + "z\xc3\xa9");         // cut short, then valid again
}

// Any bytes at all give a string nlohmann::json reads, and the same string nlohmann's
// own dump (replace) gives.
TEST(JsonLine, RandomBytesAlwaysGiveValidJsonThatMatchesNlohmannsReplace) {
  std::mt19937 random(20261207);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 24);
  // Mostly bytes near UTF-8's edges, so that sequences both hold and break.
  const unsigned char edges[] = {0x00, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0,
                                 0xa0, 0xed, 0x9f, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff, 'a'};
  std::uniform_int_distribution<std::size_t> edge(0, sizeof edges - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string s(static_cast<std::size_t>(length(random)), '\0');
    for (char& c : s) c = static_cast<char>(i % 2 ? byte(random) : edges[edge(random)]);
    const std::string ours = read_back(s);
    const std::string theirs =
        nlohmann::json::parse(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            .get<std::string>();
    ASSERT_EQ(ours, theirs) << "input of " << s.size() << " bytes, case " << i;
  }
}
