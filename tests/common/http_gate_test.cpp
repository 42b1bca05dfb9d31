// The request gate on its own, no sockets: what it renders for ordinary requests, that
// the rendering is the same for every split of the input, and that each hostile input
// is refused within its bound, with the gate holding no more than that bound.
#include "common/http_gate.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/gate_driver.hpp"

using scalelab::http_gate::Limits;
using scalelab::http_gate::RequestGate;

namespace {

using Outcome = scalelab::testkit::GateOutcome;

Outcome run(const std::string& input, const std::vector<std::size_t>& cuts, const Limits& limits = {}) {
  return scalelab::testkit::drive_gate(input, cuts, limits);
}

// Runs `input` whole, then cut in two at every offset, then byte by byte, then in random
// pieces, and expects one outcome from all of them; returns it.
Outcome same_for_every_split(const std::string& input, const Limits& limits = {}) {
  const Outcome whole = run(input, {}, limits);
  for (std::size_t i = 1; i < input.size(); ++i) EXPECT_EQ(run(input, {i}, limits), whole) << "cut at " << i;
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  EXPECT_EQ(run(input, every, limits), whole) << "byte by byte";
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i)
      if (rng() % 7 == 0) cuts.push_back(i);
    EXPECT_EQ(run(input, cuts, limits), whole) << "random round " << round;
  }
  return whole;
}

// Feeds `prefix`, then `filler` over and over; returns how many bytes went in before
// the gate refused, and the most it held at any time (buffered input plus output).
struct Flood {
  std::size_t fed = 0;
  std::size_t held = 0;
  Outcome outcome;
};
Flood flood(const std::string& prefix, const std::string& filler, std::size_t max_bytes) {
  RequestGate gate;
  Flood f;
  gate.feed(prefix);
  f.fed = prefix.size();
  while (!gate.refusal() && f.fed < max_bytes) {
    gate.feed(filler);
    f.fed += filler.size();
    f.held = std::max(f.held, gate.buffered() + gate.output().size());
    scalelab::testkit::drain_gate(gate, f.outcome);
  }
  scalelab::testkit::drain_gate(gate, f.outcome);
  return f;
}

const std::string kChunkedHead = "POST /api/uploads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

TEST(RequestGate, RendersOrdinaryRequestsAsTheyCame) {
  const auto o = same_for_every_split("GET /api/me HTTP/1.1\r\nHost: x\r\nCookie: sid=abc\r\n\r\n");
  ASSERT_EQ(o.requests.size(), 1u) << o;
  EXPECT_EQ(o.requests[0], "GET /api/me HTTP/1.1\r\nHost: x\r\nCookie: sid=abc\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(o.status, 0u);
}

TEST(RequestGate, PipelinedRequestsComeOutOneAtATime) {
  const auto o = same_for_every_split(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "PUT /items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(o.requests.size(), 3u) << o;
  EXPECT_EQ(o.requests[0], "GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(o.requests[1], "PUT /items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(o.requests[2], "GET /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(RequestGate, ChunkedBodiesLoseExtensionsAndTrailers) {
  const auto o = same_for_every_split(kChunkedHead +
                                      "5;name=value\r\nhello\r\n"
                                      "06;a;b=\"q r\"\r\n world\r\n"
                                      "0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
                                      "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.requests.size(), 2u) << o;
  EXPECT_EQ(o.requests[0], kChunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(o.requests[1], "GET /next HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
}

TEST(RequestGate, ARequestWithoutFramingHasAnEmptyBody) {
  // RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding means length 0, for
  // every method; cpp-httplib would read a POST "until close".
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "GET"}) {
    const std::string m = method;
    const auto o = same_for_every_split(m + " /api/logout HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(o.requests.size(), 1u) << o;
    EXPECT_EQ(o.requests[0], m + " /api/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  }
}

TEST(RequestGate, OnlyAValidByteRangeSetPasses) {
  const auto garbage = same_for_every_split("GET /api/me HTTP/1.1\r\nHost: x\r\nRange: bytes=z\r\n\r\n");
  ASSERT_EQ(garbage.requests.size(), 1u);
  EXPECT_EQ(garbage.requests[0], "GET /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  for (const char* dropped : {"items=0-1", "bytes=5-1", "bytes=-", "bytes = 0-1", "bytes=+1-2", "bytes=", "bytes=,"}) {
    const auto o = run(std::string("GET / HTTP/1.1\r\nHost: x\r\nRange: ") + dropped + "\r\n\r\n", {});
    ASSERT_EQ(o.requests.size(), 1u) << dropped;
    EXPECT_EQ(o.requests[0].find("Range"), std::string::npos) << dropped;
  }
  const auto two = run("GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", {});
  EXPECT_EQ(two.requests.at(0).find("Range"), std::string::npos) << "two Range fields: ignored";
  // Valid sets come out in the one spelling cpp-httplib reads without a 416 of its own.
  const auto valid = same_for_every_split("GET /u HTTP/1.1\r\nHost: x\r\nRange: BYTES=0-1 , 5-,,-20\r\n\r\n");
  ASSERT_EQ(valid.requests.size(), 1u);
  EXPECT_EQ(valid.requests[0], "GET /u HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nRange: bytes=0-1,5-,-20\r\n\r\n");
  const auto huge = run("GET /u HTTP/1.1\r\nHost: x\r\nRange: bytes=123456789012345678901-\r\n\r\n", {});
  EXPECT_NE(huge.requests.at(0).find("Range: bytes=999999999999999999-\r\n"), std::string::npos) << huge;
}

TEST(RequestGate, Http10LosesExpectAndKeepsItsConnectionRule) {
  const auto o = same_for_every_split("POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_EQ(o.requests.size(), 1u) << o;
  EXPECT_EQ(o.requests[0], "POST /x HTTP/1.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  const auto kept = run("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", {});
  ASSERT_EQ(kept.requests.size(), 1u) << kept;
  EXPECT_EQ(kept.requests[0], "GET /x HTTP/1.0\r\nContent-Length: 0\r\nConnection: Keep-Alive\r\n\r\n");
  const auto v11 = run("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", {});
  EXPECT_NE(v11.requests.at(0).find("Expect: 100-continue\r\n"), std::string::npos) << "HTTP/1.1 keeps it";
}

// Schemes and codings compare without case. The fuzzer's find: a target that is only a
// mixed-case scheme made Boost 1.74's beast::iequals read past the end of the target,
// which ASan (the sanitizer stage runs this test) reports.
TEST(RequestGate, SchemesAndCodingsMatchInAnyCase) {
  const auto url = same_for_every_split("GET hTtp:// HTTP/1.0\r\nExpect: 10081/x\t conyti\xdfue\r\n\r\n");
  ASSERT_EQ(url.requests.size(), 1u) << url;
  EXPECT_EQ(url.requests[0].rfind("GET hTtp:// HTTP/1.0\r\n", 0), 0u) << url;
  const auto chunked = run("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: cHuNkEd\r\n\r\n2\r\nhi\r\n0\r\n\r\n", {});
  ASSERT_EQ(chunked.requests.size(), 1u) << chunked;
  EXPECT_NE(chunked.requests[0].find("hi"), std::string::npos) << chunked;
}

TEST(RequestGate, EmptyLinesBeforeARequestAreSkipped) {
  const auto o = same_for_every_split("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.requests.size(), 1u) << o;
  EXPECT_EQ(o.requests[0], "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
}

TEST(RequestGate, AnEndingMidBodyJustEndsTheOutput) {
  const auto o = same_for_every_split("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(o.requests.empty());
  EXPECT_EQ(o.unfinished, "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(o.status, 0u) << "the server sees its input end, and answers as it does";
}

TEST(RequestGate, HostileHeadsAreRefusedWithTheirStatus) {
  struct Case {
    std::string input;
    unsigned status;
    const char* error;
  };
  const std::string big(20 * 1024, 'a');
  std::string many_fields = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 400; ++i) many_fields += "X-Field-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  const std::vector<Case> cases = {
      {"GET /" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"},
      {many_fields + "\r\n", 431, "header_too_large"},
      {"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(9000, 'c') + "\r\n\r\n", 431, "header_too_large"},
      {"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/1.1\nHost: x\n\n", 400, "bad_request"},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "bad_request"},
      {"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/1.1\r\n\r\n", 400, "bad_host"},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_host"},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported_transfer_encoding"},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "bad_framing"},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_framing"},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "bad_framing"},
      {"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501, "method_not_supported"},
      {"GET nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_target"},
      {"GET / HTTP/9\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
      {"GET / HTTP/2.0x\r\nHost: x\r\n\r\n", 400, "bad_request"},
      // Found by the fuzzer: the request line's verdict comes before the bare LF's.
      {"O pS/Taioads HTTP/2.1\r\nH 1\t\n\r\n", 505, "http_version_not_supported"},
      {"GET / \nHTTP/2.0\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/10\n. HTTP/1.0\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"GET / HTTP/1.1\r\nHost: x\r\n", 400, "bad_request"},  // the client ends inside the head
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input.substr(0, 60));
    const Outcome o = c.input.size() < 2000 ? same_for_every_split(c.input) : run(c.input, {});
    EXPECT_TRUE(o.requests.empty()) << o;
    EXPECT_EQ(o.status, c.status) << o;
    EXPECT_EQ(o.error, c.error) << o;
  }
}

TEST(RequestGate, HostileChunksAreRefusedWithTheirStatus) {
  struct Case {
    std::string body;
    const char* error;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"5\nhello\n0\n\n", "bad_request", "bare_lf"},
      {"5\r\nhello\r\n0\r\nX: y\n\r\n\r\n", "bad_request", nullptr},
      {"5;" + std::string(20000, 'e') + "\r\nhello\r\n0\r\n\r\n", "chunk_line_too_long", "chunk_line_too_long"},
      {"0\r\n" + std::string(20000, 't') + "\r\n\r\n", "chunk_line_too_long", "chunk_line_too_long"},
      {"zz\r\n", "bad_request", "bad_request"},
      {"5\r\nhelloXY0\r\n\r\n", "bad_request", "bad_request"},
      // Found by the fuzzer:
      {"7;a=b\r\nhello\x13\n0\r\nT", "bad_request", "bad_request"},
      {"0\r\n\n", "bad_request", "bare_lf"},
      {"0\r\nContent-Length: 6\r\n\r\"\nabc\r\n\r\n", "bad_request", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 40));
    const std::string input = kChunkedHead + c.body;
    const Outcome o = input.size() < 2000 ? same_for_every_split(input) : run(input, {});
    EXPECT_TRUE(o.requests.empty()) << o;
    EXPECT_EQ(o.status, 400u) << o;
    EXPECT_EQ(o.error, c.error) << o;
    if (c.reason != nullptr) {
      EXPECT_EQ(o.reason, c.reason) << o;
    }
  }
}

TEST(RequestGate, AnEndlessChunkLineIsRefusedWithinItsBound) {
  // 200 MiB of chunk line in 64 KiB pieces: refused by the first piece past 16 KiB,
  // holding at most the bound plus one piece.
  const std::string piece(64 * 1024, 'f');
  const Flood f = flood(kChunkedHead, piece, 200u << 20);
  EXPECT_EQ(f.outcome.status, 400u);
  EXPECT_EQ(f.outcome.error, "chunk_line_too_long");
  EXPECT_LE(f.fed, kChunkedHead.size() + piece.size());
  EXPECT_LE(f.held, 16 * 1024 + piece.size());
  // Fed one byte at a time, the refusal comes at the bound itself.
  const Flood drip = flood(kChunkedHead, "f", 1u << 20);
  EXPECT_EQ(drip.outcome.error, "chunk_line_too_long");
  EXPECT_EQ(drip.fed, kChunkedHead.size() + scalelab::http_framing::kMaxPendingLine);
  EXPECT_LE(drip.held, scalelab::http_framing::kMaxPendingLine);
}

TEST(RequestGate, AnEndlessHeadIsRefusedWithinItsBound) {
  const Flood line = flood("GET /", "a", 1u << 20);
  EXPECT_EQ(line.outcome.status, 414u);
  EXPECT_EQ(line.fed, 16u * 1024);
  const Flood fields = flood("GET / HTTP/1.1\r\n", "X-A: b\r\n", 1u << 20);
  EXPECT_EQ(fields.outcome.status, 431u);
  EXPECT_LE(fields.fed, 16u * 1024 + 8);
  EXPECT_LE(fields.held, 16u * 1024 + 8);
  // The limit is the whole head, not what one read brought.
  Limits small;
  small.max_header_bytes = 1024;
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
  while (head.size() < 1000) head += "X-Pad: 0123456789\r\n";
  EXPECT_EQ(run(head + "\r\n", {}, small).status, 0u) << head.size() + 2 << " bytes fit";
  EXPECT_EQ(run(head + "X-More: 0123456789\r\n\r\n", {700}, small).status, 431u) << "more than 1024 in two reads";
}

TEST(RequestGate, AnInvalidRequestLineIsRefusedBeforeTheHeadEnds) {
  RequestGate gate;
  gate.feed("\x16\x03\x01\x02\x00");  // a TLS hello: no line end will ever come
  ASSERT_TRUE(gate.refusal());
  EXPECT_EQ(gate.refusal()->answer.status, 400u);
  RequestGate lf;
  lf.feed("GET / HTTP/1.1\n");
  ASSERT_TRUE(lf.refusal());
  EXPECT_EQ(lf.refusal()->reason, "bare_lf");
}

TEST(RequestGate, HeadRequestsAreKnownForTheirRefusals) {
  RequestGate gate;
  gate.feed("HEAD / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate.refusal());
  EXPECT_EQ(gate.refusal()->answer.error, "bad_host");
  EXPECT_TRUE(gate.is_head_request());
}
