// The line a stopped process's log gives as its reason (lab/supervisor/log_tail.hpp),
// from the shapes the lab's components really write: our JSON lines, a usage message,
// Redis's plain text and a Node.js crash.
#include <gtest/gtest.h>

#include <fstream>

#include "lab/supervisor/log_tail.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;

namespace {

class LogTail : public ::testing::Test {
 protected:
  testkit::TempDir dir{"scalelab-log-tail"};
  std::filesystem::path log = dir / "c.log";
  void append(const std::string& text) {
    std::ofstream out(log, std::ios::app | std::ios::binary);
    out << text;
  }
};

}  // namespace

TEST_F(LogTail, NothingWrittenIsEmpty) {
  EXPECT_EQ(lab::last_error_line(log), "");
  EXPECT_EQ(lab::log_size(log), 0u);
  append("old words\n");
  EXPECT_EQ(lab::last_error_line(log, lab::log_size(log)), "");
}

TEST_F(LogTail, OurJsonErrorLineWinsOverLaterInfoLines) {
  append(R"({"level":"info","msg":"listening"})" "\n"
         R"({"component":"balancer","error":"bind: Address already in use","level":"error","msg":"cannot bind a listener"})" "\n"
         R"({"level":"info","msg":"bye"})" "\n");
  EXPECT_EQ(lab::last_error_line(log), "cannot bind a listener: bind: Address already in use");
}

TEST_F(LogTail, AUsageMessageIsTheLastPlainLine) {
  append(R"({"level":"info","msg":"starting"})" "\n"
         "/build/bin/scalelab-app: --workers: Value 0 not in range 1 to 1024 (see --help)\n\n");
  EXPECT_EQ(lab::last_error_line(log), "/build/bin/scalelab-app: --workers: Value 0 not in range 1 to 1024 (see --help)");
}

TEST_F(LogTail, ANodeCrashGivesItsErrorLineNotItsStack) {
  append("\nnode:events:502\n      throw er; // Unhandled 'error' event\n      ^\n\n"
         "Error: listen EADDRINUSE: address already in use 127.0.0.1:21499\n"
         "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)\n"
         "Emitted 'error' event on Server instance at:\n    at emitErrorNT (node:net:1944:8) {\n"
         "  code: 'EADDRINUSE',\n  port: 21499\n}\n\nNode.js v20.20.2\n");
  EXPECT_EQ(lab::last_error_line(log), "Error: listen EADDRINUSE: address already in use 127.0.0.1:21499");
}

TEST_F(LogTail, OnlyWhatWasWrittenSinceTheOffsetCounts) {
  append(R"({"level":"error","msg":"the previous run failed","error":"long ago"})" "\n");
  const auto offset = lab::log_size(log);
  append("12599:M 05 Dec 2026 20:50:50.235 # Failed listening on port 21403 (tcp), aborting.\n");
  EXPECT_EQ(lab::last_error_line(log, offset), "12599:M 05 Dec 2026 20:50:50.235 # Failed listening on port 21403 (tcp), aborting.");
}

TEST_F(LogTail, OnlyTheLast64KiBAreReadAndACutLineIsDropped) {
  append(R"({"level":"error","msg":"too far back"})" "\n" + std::string(70 * 1024, 'x') + "\n" +
         R"({"level":"info","msg":"still running","detail":"fine"})" "\n");
  EXPECT_EQ(lab::last_error_line(log), "still running: fine") << "no error line within reach: the last JSON line";
}
