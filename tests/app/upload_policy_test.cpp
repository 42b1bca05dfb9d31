// How an upload is answered, without a server: which bytes a Range selects
// (range_policy.hpp) and which types a browser may show inline (upload_safety.hpp).
#include <gtest/gtest.h>

#include "services/app/range_policy.hpp"
#include "services/app/upload_safety.hpp"

using namespace scalelab::app;

namespace {

std::string answer(std::initializer_list<std::pair<const char*, const char*>> headers, std::uint64_t size) {
  httplib::Request req;
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  const RangeAnswer a = choose_range(req, size);
  switch (a.kind) {
    case RangeAnswer::whole: return "200 " + std::to_string(a.slice.offset) + "+" + std::to_string(a.slice.length);
    case RangeAnswer::partial: return "206 " + std::to_string(a.slice.offset) + "+" + std::to_string(a.slice.length);
    case RangeAnswer::unsatisfiable: return "416";
  }
  return "?";
}

}  // namespace

TEST(RangePolicy, OneRangeIsAnsweredAndEverythingElseGetsTheWholeBody) {
  EXPECT_EQ(answer({}, 317), "200 0+317");
  EXPECT_EQ(answer({{"Range", "bytes=0-0"}}, 317), "206 0+1");
  EXPECT_EQ(answer({{"Range", "bytes=-7"}}, 317), "206 310+7");
  EXPECT_EQ(answer({{"Range", "bytes=317-"}}, 317), "416");
  EXPECT_EQ(answer({{"Range", "bytes=0-1,1000-"}}, 317), "200 0+317") << "several ranges: ignored";
  EXPECT_EQ(answer({{"Range", "bytes=0-1,5000-"}}, 317), "200 0+317") << "one unsatisfiable among several: ignored";
  EXPECT_EQ(answer({{"Range", "items=0-1"}}, 317), "200 0+317") << "another unit: ignored";
  EXPECT_EQ(answer({{"Range", "bytes=z"}}, 317), "200 0+317") << "bad syntax: ignored";
  EXPECT_EQ(answer({{"Range", "bytes=0-1"}, {"If-Range", "\"x\""}}, 317), "200 0+317") << "no validator can match";
  EXPECT_EQ(answer({{"Range", "bytes=0-1"}, {"Range", "bytes=2-3"}}, 317), "200 0+317") << "two Range fields";
  EXPECT_EQ(answer({{"Range", "bytes=0-0"}}, 0), "200 0+0") << "an empty upload is sent whole";
}

TEST(UploadSafety, OnlyInertTypesAreShownInline) {
  for (const char* type : {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain",
                           "text/plain; charset=utf-8", "TEXT/PLAIN", " image/png ; x=y"})
    EXPECT_TRUE(is_inert_media_type(type)) << type;
  for (const char* type : {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml",
                           "application/javascript", "text/javascript", "application/pdf", "", "image/png, text/html",
                           "text/plainx", "application/octet-stream", "multipart/x-mixed-replace"})
    EXPECT_FALSE(is_inert_media_type(type)) << type;
  httplib::Response res;
  set_upload_safety_headers(res, "text/html");
  EXPECT_EQ(res.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res.get_header_value("Content-Disposition"), "attachment");
  EXPECT_EQ(res.get_header_value("Content-Security-Policy"), "sandbox");
  httplib::Response inline_res;
  set_upload_safety_headers(inline_res, "image/png");
  EXPECT_EQ(inline_res.get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(inline_res.has_header("Content-Disposition"));
}
