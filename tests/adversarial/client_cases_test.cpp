// A hostile client against each proxy, with an honest backend behind it: requests cut
// at every byte, pipelined, without framing, in HTTP/1.0, in absolute form, with lines
// that never end or end in a bare LF, and the classic smuggling shapes. Each proxy
// must answer every one correctly or refuse it, in bounded time and memory, and never
// let the backend see a request the client did not send as such. For scalelab-balancer
// the exact status is pinned too (0: any safe answer).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <atomic>
#include <thread>

#include "tests/adversarial/verdicts.hpp"
#include "tests/support/proc_stats.hpp"

namespace scalelab::adversarial {
namespace {

using namespace std::chrono_literals;

struct ClientCase {
  const char* name;
  const char* tries;
  int scalelab_status;  // what scalelab-balancer must answer (0: any safe answer)
  std::function<CaseResult(std::uint16_t port, HostileBackend& backend, pid_t proxy)> attack;
};

bool refused(const Exchange& ex) { return ex.first_status() >= 400 && ex.first_status() < 600; }

CaseResult verdict(const Exchange& ex, bool safe) { return {{safe, describe(ex)}, ex.first_status()}; }

// The response to one script, safe when `ok` holds for it.
template <class Ok>
CaseResult one(std::uint16_t port, const Script& s, Ok ok) {
  const Exchange ex = run(port, s);
  return verdict(ex, ok(ex));
}

Script just(std::string request) {
  Script s;
  s.parts = {std::move(request)};
  return s;
}

// Every split of `request` in two, the halves 2 ms apart; safe when all are answered as
// `ok` says.
template <class Ok>
CaseResult every_split(std::uint16_t port, const std::string& request, Ok ok) {
  int good = 0, total = 0;
  Exchange bad;
  for (std::size_t k = 1; k < request.size(); ++k, ++total) {
    Script s;
    s.parts = {request.substr(0, k), request.substr(k)};
    s.pause = 2ms;
    s.timeout = 4s;
    const Exchange ex = run(port, s);
    if (ok(ex))
      ++good;
    else if (bad.bytes.empty() && bad.responses.empty())
      bad = ex;
  }
  CaseResult r;
  r.status = good == total ? 200 : bad.first_status();
  r.outcome.safe = good == total;
  r.outcome.what = std::to_string(good) + "/" + std::to_string(total) + " splits answered correctly";
  if (good != total) r.outcome.what += " (first wrong: " + describe(bad) + ")";
  return r;
}

// Streams `head` and then `piece` again and again (up to 200 MiB) until the proxy
// answers or closes: safe when it refuses within 3 s (memory is judged by the caller).
CaseResult endless(std::uint16_t port, const std::string& head, const std::string& piece) {
  Script s;
  s.parts = {head};
  s.endless_piece = piece;
  s.endless_bytes = 200ull << 20;
  s.timeout = 8s;
  const Exchange ex = run(port, s);
  CaseResult r = verdict(ex, refused(ex) && ex.seconds < 3.0);
  r.outcome.what += ", after " + std::to_string(ex.sent / 1024) + " KiB sent";
  return r;
}

// A POST framed by `framing` (header lines) whose body, as a proxy that reads the
// framing the other way would see it, ends early: "0\r\n\r\n" followed by a second
// request for /smuggled. Safe when the backend never saw that (checked 300 ms later).
CaseResult smuggle(std::uint16_t port, HostileBackend& backend, const std::string& framing) {
  const Exchange ex = run(port, just("POST /echo HTTP/1.1\r\nHost: lab\r\n" + framing +
                                     "\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: lab\r\n\r\n"));
  std::this_thread::sleep_for(300ms);
  const int smuggled = backend.received("/smuggled");
  CaseResult r = verdict(ex, smuggled == 0 && ex.seconds < 5.5);
  if (smuggled > 0) r.outcome.what += "; the backend got a smuggled request";
  return r;
}

bool echo_has(const Exchange& ex, const std::string& line) {
  return ex.first_status() == 200 && ex.responses.front().body.find(line + "\n") != std::string::npos;
}

const std::string kChunkedPost = "POST /echo HTTP/1.1\r\nHost: lab\r\nTransfer-Encoding: chunked\r\n\r\n";

// What N connections cost a proxy while each holds an unfinished chunk line just under
// the 16 KiB bound (so none is refused): its resident memory with them open, minus
// before. The bound scalelab-balancer must keep is kHeldLinesMaxKib.
constexpr int kHeldConnections = 200;
constexpr long kHeldLinesMaxKib = 40 * 1024;

CaseResult hold_many_lines(std::uint16_t port, pid_t proxy) {
  const long before = testkit::rss_kib(proxy);
  std::vector<std::thread> clients;
  std::atomic<int> answered_early{0};
  std::atomic<bool> release{false};
  const std::string line = kChunkedPost + std::string(15 * 1024, '0');
  for (int i = 0; i < kHeldConnections; ++i) {
    clients.emplace_back([&] {
      Script s;
      s.parts = {line};
      s.timeout = 1500ms;  // hold, reading, until then
      const Exchange ex = run(port, s);
      if (ex.first_status() != 0 && ex.seconds < 1.0) ++answered_early;
    });
  }
  std::this_thread::sleep_for(1000ms);
  const long held = testkit::rss_kib(proxy) - before;
  for (auto& t : clients) t.join();
  CaseResult r;
  r.outcome.safe = held < kMaxGrowthKib;
  r.exact = held < kHeldLinesMaxKib;
  r.outcome.what = "memory +" + std::to_string(held / 1024) + " MiB with " + std::to_string(kHeldConnections) +
                   " held (" + std::to_string(held / kHeldConnections) + " KiB each)";
  if (answered_early > 0) r.outcome.what += ", " + std::to_string(answered_early.load()) + " answered at once";
  return r;
}

const std::vector<ClientCase>& client_cases() {
  static const std::vector<ClientCase> cases = {
      {"split_get", "a GET cut in two at every byte", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return every_split(port, "GET /echo?a=1 HTTP/1.1\r\nHost: lab\r\nAccept: */*\r\n\r\n",
                            [](const Exchange& ex) { return echo_has(ex, "target=/echo?a=1"); });
       }},
      {"split_chunked_post", "a chunked POST cut in two at every byte", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return every_split(port, kChunkedPost + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                            [](const Exchange& ex) { return echo_has(ex, "body=11"); });
       }},
      {"pipelined", "three requests in one write", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         Script s;
         s.parts = {"GET /ok/p1 HTTP/1.1\r\nHost: lab\r\n\r\nGET /ok/p2 HTTP/1.1\r\nHost: lab\r\n\r\n"
                    "GET /ok/p3 HTTP/1.1\r\nHost: lab\r\n\r\n"};
         s.want_responses = 3;
         return one(port, s, [](const Exchange& ex) {
           return ex.responses.size() == 3 && ex.responses[0].body == "tag:p1" && ex.responses[1].body == "tag:p2" &&
                  ex.responses[2].body == "tag:p3";
         });
       }},
      {"bodyless_post", "a POST with neither Content-Length nor Transfer-Encoding (its body is empty)", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just("POST /echo HTTP/1.1\r\nHost: lab\r\n\r\n"),
                    [](const Exchange& ex) { return echo_has(ex, "body=0") && ex.seconds < 1.0; });
       }},
      {"http10_without_host", "an HTTP/1.0 request without Host (HTTP/1.1, if it goes on as that, needs one)", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         const Exchange ex = run(port, just("GET /echo HTTP/1.0\r\n\r\n"));
         CaseResult r = verdict(ex, echo_has(ex, "version=10") || echo_has(ex, "hosts=1") || refused(ex));
         r.exact = echo_has(ex, "version=11") && echo_has(ex, "hosts=1");
         return r;
       }},
      {"http10_expect_continue", "Expect: 100-continue from an HTTP/1.0 client, which knows no 100", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         Script s;
         s.parts = {"POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", "hello"};
         s.pause = 300ms;
         return one(port, s, [](const Exchange& ex) {
           return ex.bytes.find(" 100 ") == std::string::npos && echo_has(ex, "body=5");
         });
       }},
      {"absolute_form", "an absolute-form target whose authority disagrees with Host (the authority wins)", 200,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         // Unsafe: the backend is told the Host the proxy did not route by.
         const Exchange ex = run(port, just("GET http://real.example:81/echo HTTP/1.1\r\nHost: fake.example\r\n\r\n"));
         CaseResult r = verdict(ex, refused(ex) || (ex.first_status() == 200 && !echo_has(ex, "host=fake.example")));
         r.exact = echo_has(ex, "host=real.example:81") && echo_has(ex, "target=/echo") && echo_has(ex, "hosts=1");
         return r;
       }},
      {"long_request_line", "a 20 KiB request line", 414,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just("GET /" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: lab\r\n\r\n"),
                    [](const Exchange& ex) { return refused(ex) && ex.seconds < 1.0; });
       }},
      {"header_over_limit_in_two_halves", "a 9 KiB request line and a 9 KiB field: each under 16 KiB, both over it",
       431,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port,
                    just("GET /" + std::string(9 * 1024, 'a') + " HTTP/1.1\r\nHost: lab\r\nX-B: " +
                         std::string(9 * 1024, 'b') + "\r\n\r\n"),
                    [](const Exchange& ex) { return refused(ex) && ex.seconds < 1.0; });
       }},
      {"endless_request_line", "a request line that never ends (up to 200 MiB)", 414,
       [](std::uint16_t port, HostileBackend&, pid_t) { return endless(port, "GET /", std::string(64 * 1024, 'a')); }},
      {"endless_header_line", "a header field that never ends", 431,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return endless(port, "GET / HTTP/1.1\r\nHost: lab\r\nX-A: ", std::string(64 * 1024, 'a'));
       }},
      {"endless_chunk_line", "a chunk-size line that never ends (hex digits)", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return endless(port, kChunkedPost + "0000", std::string(64 * 1024, '0'));
       }},
      {"endless_chunk_extension", "a chunk extension that never ends", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return endless(port, kChunkedPost + "5;a=", std::string(64 * 1024, 'b'));
       }},
      {"endless_trailer", "a trailer field that never ends", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return endless(port, kChunkedPost + "5\r\nhello\r\n0\r\nX-T: ", std::string(64 * 1024, 't'));
       }},
      {"bare_lf_chunk_lines", "chunk lines that end in a bare LF", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just(kChunkedPost + "5\nhello\n0\n\n"),
                    [](const Exchange& ex) { return ex.first_status() != 0 && ex.seconds < 1.0; });
       }},
      {"bare_lf_header_lines", "header lines that end in a bare LF", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just("GET /echo HTTP/1.1\nHost: lab\n\n"),
                    [](const Exchange& ex) { return ex.first_status() != 0 && ex.seconds < 1.0; });
       }},
      {"smuggle_cl_te", "Content-Length and Transfer-Encoding together, hiding a second request", 400,
       [](std::uint16_t port, HostileBackend& backend, pid_t) {
         return smuggle(port, backend, "Content-Length: 50\r\nTransfer-Encoding: chunked\r\n");
       }},
      {"smuggle_te_te", "two Transfer-Encoding headers, one of them not chunked", 0,
       [](std::uint16_t port, HostileBackend& backend, pid_t) {
         return smuggle(port, backend, "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: 4\r\n");
       }},
      {"smuggle_te_space", "`Transfer-Encoding : chunked` (a space before the colon)", 400,
       [](std::uint16_t port, HostileBackend& backend, pid_t) {
         return smuggle(port, backend, "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n");
       }},
      {"many_held_chunk_lines", "200 connections, each holding a 15 KiB chunk line that has not ended", 0,
       [](std::uint16_t port, HostileBackend&, pid_t proxy) { return hold_many_lines(port, proxy); }},
      {"chunk_size_overflow", "a chunk size of 19 hex digits (past 64 bits)", 400,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just(kChunkedPost + "fffffffffffffffffff\r\nx\r\n"),
                    [](const Exchange& ex) { return refused(ex) && ex.seconds < 1.0; });
       }},
      {"unsupported_version", "HTTP/2.0 in an HTTP/1 request line", 505,
       [](std::uint16_t port, HostileBackend&, pid_t) {
         return one(port, just("GET /echo HTTP/2.0\r\nHost: lab\r\n\r\n"),
                    [](const Exchange& ex) { return ex.first_status() != 0 && ex.seconds < 1.0; });
       }},
  };
  return cases;
}

class HostileClientCase : public ::testing::TestWithParam<ClientCase> {};

TEST_P(HostileClientCase, IsAnsweredOrRefusedInBoundedTimeAndMemory) {
  const ClientCase& c = GetParam();
  const CaseResult ours = run_everywhere("Hostile client", c.name, c.tries, c.attack);
  if (c.scalelab_status != 0) {
    EXPECT_EQ(ours.status, c.scalelab_status) << ours.outcome.what;
  }
  EXPECT_TRUE(ours.exact) << "scalelab-balancer is safe here but not as the RFC asks: " << ours.outcome.what;
}

void PrintTo(const ClientCase& c, std::ostream* os) { *os << c.name; }

// balancer/CONFORMANCE.md is generated; a case added since it was last made would be
// missing from it.
TEST(Conformance, TheCommittedTableHasEveryHostileClientRow) {
  std::ifstream in(std::string(SCALELAB_SOURCE_DIR) + "/balancer/CONFORMANCE.md");
  std::stringstream table;
  table << in.rdbuf();
  for (const auto& c : client_cases())
    EXPECT_NE(table.str().find(std::string("| `") + c.name + "` |"), std::string::npos)
        << c.name << " is not in balancer/CONFORMANCE.md: make it again (see its first lines)";
}

INSTANTIATE_TEST_SUITE_P(Adversarial, HostileClientCase, ::testing::ValuesIn(client_cases()),
                         [](const ::testing::TestParamInfo<ClientCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace scalelab::adversarial
