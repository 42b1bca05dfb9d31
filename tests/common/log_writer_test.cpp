// The background log writer against a real pipe whose reader stops reading: appends
// never wait, lines are dropped (and counted) rather than waited for, what is written
// stays whole and in order, and the drop report sits where the dropped lines were.
#include "common/log_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using scalelab::log::BackgroundLineWriter;

// A numbered line of 100 bytes, newline included.
std::string numbered_line(int i) {
  char head[16];
  std::snprintf(head, sizeof head, "line %05d ", i);
  std::string line(head);
  line.append(99 - line.size(), 'x');
  line.push_back('\n');
  return line;
}

std::string report(std::uint64_t dropped) { return "dropped " + std::to_string(dropped) + "\n"; }

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    read_end = fds[0];
    write_end = fds[1];
    ::fcntl(read_end, F_SETFL, O_NONBLOCK);
  }
  // Fills the pipe as a reader that stopped reading leaves it; returns the bytes put in.
  std::size_t fill() const {
    const int flags = ::fcntl(write_end, F_GETFL);
    ::fcntl(write_end, F_SETFL, flags | O_NONBLOCK);
    const std::string block(4096, 'f');
    std::size_t filled = 0;
    for (ssize_t n; (n = ::write(write_end, block.data(), block.size())) > 0;) filled += static_cast<std::size_t>(n);
    ::fcntl(write_end, F_SETFL, flags);
    return filled;
  }
  ~Pipe() {
    ::close(read_end);
    ::close(write_end);
  }
  // Reads what is there now, without waiting.
  std::string read_available() const {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(read_end, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(BackgroundLineWriter, AReaderThatStopsReadingCostsLinesNeverAWait) {
  Pipe pipe;
  const std::size_t filler = pipe.fill();
  BackgroundLineWriter writer(pipe.write_end, 8192, report);
  constexpr int kLines = 5000;  // 500 kB, against a full pipe and 8 KiB of buffer
  auto appends = std::async(std::launch::async, [&] {
    for (int i = 0; i < kLines; ++i) writer.append(numbered_line(i));
  });
  ASSERT_EQ(appends.wait_for(10s), std::future_status::ready) << "an append waited for the pipe's reader";
  EXPECT_FALSE(writer.flush(200ms)) << "flush said written while nobody read";
  const std::uint64_t dropped = writer.dropped();
  EXPECT_GT(dropped, 0u);

  // The reader reads again: the lines kept come whole and in order, and the report
  // follows them, where the dropped ones would have been.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!writer.flush(1ms) && std::chrono::steady_clock::now() < deadline) text += pipe.read_available();
  ASSERT_TRUE(writer.flush(0ms)) << "nothing written after the reader came back";
  text += pipe.read_available();
  ASSERT_GE(text.size(), filler);
  ASSERT_EQ(text.find_first_not_of('f'), filler);
  // Each report stands exactly where its lines were: between the numbers around it.
  const auto lines = lines_of(text.substr(filler));
  int next = 0;  // the number the next kept line must have
  std::uint64_t reported = 0;
  for (const std::string& line : lines) {
    if (line.rfind("dropped ", 0) == 0) {
      const int n = std::stoi(line.substr(8));
      next += n;
      reported += static_cast<std::uint64_t>(n);
      continue;
    }
    ASSERT_EQ(line + "\n", numbered_line(next)) << "a line out of place";
    ++next;
  }
  EXPECT_EQ(next, kLines) << "lines neither written nor reported";
  EXPECT_EQ(reported, dropped);
  EXPECT_EQ(lines.back().rfind("dropped ", 0), 0u) << "the last lines were dropped, so a report ends the log";

  // Later lines follow the report, and none is dropped while the reader keeps up.
  for (int i = 0; i < 10; ++i) writer.append(numbered_line(kLines + i));
  std::string after;
  while (!writer.flush(1ms) && std::chrono::steady_clock::now() < deadline) after += pipe.read_available();
  after += pipe.read_available();
  EXPECT_EQ(lines_of(after).size(), 10u);
  EXPECT_EQ(writer.dropped(), dropped);
}

TEST(BackgroundLineWriter, ALineLargerThanTheBufferIsDroppedAndReported) {
  Pipe pipe;
  BackgroundLineWriter writer(pipe.write_end, 4096, report);
  writer.append(std::string(5000, 'y') + "\n");
  ASSERT_TRUE(writer.flush(5s));
  writer.append("small\n");
  ASSERT_TRUE(writer.flush(5s));
  EXPECT_EQ(pipe.read_available(), "dropped 1\nsmall\n");
  EXPECT_EQ(writer.dropped(), 1u);
}

TEST(BackgroundLineWriter, ABlockOfLinesKeepsTheWholeLinesThatFitAndReportsTheRest) {
  Pipe pipe;
  const std::size_t filler = pipe.fill();
  BackgroundLineWriter writer(pipe.write_end, 250, report);
  std::string block;
  for (int i = 0; i < 5; ++i) block += numbered_line(i);
  writer.append(block);  // 500 bytes: the first two lines fit
  EXPECT_EQ(writer.dropped(), 3u);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!writer.flush(1ms) && std::chrono::steady_clock::now() < deadline) text += pipe.read_available();
  text += pipe.read_available();
  ASSERT_GE(text.size(), filler);
  EXPECT_EQ(text.substr(filler), numbered_line(0) + numbered_line(1) + "dropped 3\n");
}

// Servers sigwait for SIGTERM on a thread of their choosing; a writer's thread that
// could take it would end the process at the signal's default, without a drain.
TEST(BackgroundLineWriter, ItsThreadTakesNoStopSignal) {
  auto tasks = [] {
    std::set<std::string> ids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ids.insert(entry.path().filename());
    return ids;
  };
  const auto before = tasks();
  Pipe pipe;
  BackgroundLineWriter writer(pipe.write_end, 4096, report);
  std::string writer_task;
  for (const auto& id : tasks())
    if (!before.count(id)) writer_task = id;
  ASSERT_FALSE(writer_task.empty());
  std::ifstream status("/proc/self/task/" + writer_task + "/status");
  unsigned long long blocked = 0;
  for (std::string line; std::getline(status, line);)
    if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE})
    EXPECT_TRUE(blocked & (1ULL << (sig - 1))) << "signal " << sig << " is not blocked on the writer's thread";
}

TEST(BackgroundLineWriter, EndingWritesEveryPendingLine) {
  scalelab::testkit::TempDir dir("scalelab-log-writer");
  const auto path = dir / "log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  {
    BackgroundLineWriter writer(fd, 1 << 20, report);
    for (int i = 0; i < 2000; ++i) writer.append(numbered_line(i));
  }
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const auto lines = lines_of(text.str());
  ASSERT_EQ(lines.size(), 2000u);
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(lines[i] + "\n", numbered_line(static_cast<int>(i)));
}

}  // namespace
