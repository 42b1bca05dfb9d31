// Linked into every test binary (tests/CMakeLists.txt): process-wide settings that
// must hold before the first test runs.
//
// SIGPIPE is ignored. cpp-httplib 0.11's client sends without MSG_NOSIGNAL, and the
// tests' clients write to servers that may answer early and close (a 413 for an
// oversized upload while the body is still going out): the write must fail with EPIPE,
// which the client reports, instead of killing the test binary. Children started by
// common/process get default dispositions back (process.hpp).
#include <csignal>

namespace {

const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

}  // namespace
