// The fuzz targets build with Boost's assertions on (no NDEBUG) and route them here
// (BOOST_ENABLE_ASSERT_HANDLER), so that each failed assertion still aborts, as
// libFuzzer needs to report it, except for one that is known to be wrong.
//
// Beast 1.74's chunked parser asserts that, once it has seen the last chunk "0\r\n"
// and asked for more, the next call brings at least 5 bytes. A stream can bring one
// more byte ("0\r\n" then "\r"), and the code after the assertion handles that by
// asking for more again. Beast fixed the assertion upstream (boostorg/beast pull
// request 2861, 2024); the release builds, with NDEBUG, never evaluate it. Every
// other assertion aborts.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool is_beast_last_chunk_assertion(const char* expr, const char* file) {
  return std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp") != nullptr;
}

[[noreturn]] void fail(const char* expr, const char* msg, const char* function, const char* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr, msg ? ": " : "",
               msg ? msg : "");
  std::abort();
}

}  // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  if (is_beast_last_chunk_assertion(expr, file)) return;
  fail(expr, nullptr, function, file, line);
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file, long line) {
  fail(expr, msg, function, file, line);
}

}  // namespace boost
