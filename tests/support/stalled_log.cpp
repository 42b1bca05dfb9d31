#include "tests/support/stalled_log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

namespace scalelab::testkit {

StalledLogReader::StalledLogReader() : path_((dir_ / "log").string()) {
  if (::mkfifo(path_.c_str(), 0600) != 0) throw std::system_error(errno, std::generic_category(), "mkfifo " + path_);
  // Open before the server does, so its open for writing finds a reader and returns.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path_);
}

StalledLogReader::~StalledLogReader() { ::close(fd_); }

std::string StalledLogReader::read_until_ended(process::Process& server, std::chrono::milliseconds timeout) {
  std::string text;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ended = false;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 && ended) break;  // no writer left, and nothing unread
    if (!ended) ended = server.poll().has_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return text;
}

LogTally tally_log(const std::string& text, const std::string& field, const std::string& value) {
  LogTally tally;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_object()) {
      if (tally.broken.empty()) tally.broken = line.substr(0, 200);
      continue;
    }
    ++tally.lines;
    if (record.contains("dropped") && record["dropped"].is_number()) tally.reported += record["dropped"].get<double>();
    if (record.contains(field) && record[field] == value) ++tally.matching;
  }
  return tally;
}

void expect_sigterm_ends_with_every_line_accounted(process::Process& server, StalledLogReader& log,
                                                   const std::string& field, const std::string& value,
                                                   int requests, double dropped) {
  server.signal(SIGTERM);
  const LogTally tally = tally_log(log.read_until_ended(server, std::chrono::seconds(20)), field, value);
  const auto status = server.wait_for(std::chrono::seconds(5));
  ASSERT_TRUE(status) << "no exit after SIGTERM";
  EXPECT_EQ(status->describe(), "exit 0");
  EXPECT_EQ(tally.broken, "") << "not a whole JSON line";
  EXPECT_GE(tally.reported, dropped) << "drops the log does not own up to";
  EXPECT_LE(tally.matching, requests);
  EXPECT_GE(tally.matching + tally.reported, requests) << "a request with neither its line nor a place among the dropped";
}

}  // namespace scalelab::testkit
