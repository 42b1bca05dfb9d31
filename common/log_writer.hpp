// Where a server's log lines wait for the reader. A thread that logs must never wait
// for whoever reads the log: a pipe is 64 KiB, and a log shipper, a terminal or a
// `docker logs` that stops reading would otherwise stop, one by one, every thread that
// logs a request, and with them the server (an event loop at once). So lines are
// appended to a bounded buffer, and a thread of the writer's own writes them out.
// Lines gather for a few milliseconds and leave in one write(2), so a busy server pays
// neither a write nor a wake-up of the writer per line.
// When the buffer is full, a line is dropped and counted, never waited for, and so is
// every line after it until the writer empties the buffer; once the reader reads
// again, the writer says how many were dropped, in a line of its own, at the place in
// the stream where they would have been. Docker's non-blocking log mode, HAProxy's
// `log stdout` and spdlog's asynchronous logger make the same choice: lose log lines,
// not requests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace scalelab::log {

class BackgroundLineWriter {
 public:
  // The line that reports `dropped` lines, newline included.
  using DropReport = std::function<std::string(std::uint64_t dropped)>;

  // Writes to `fd` (not owned). Holds at most `max_pending_bytes` not yet written.
  BackgroundLineWriter(int fd, std::size_t max_pending_bytes, DropReport report);
  // Writes what is pending, then ends the writer's thread: it waits for the reader.
  ~BackgroundLineWriter();
  BackgroundLineWriter(const BackgroundLineWriter&) = delete;
  BackgroundLineWriter& operator=(const BackgroundLineWriter&) = delete;

  // Queues whole lines (each ending in a newline) behind the ones before them, as many
  // as fit; the rest are dropped, and so is everything while lines dropped since the
  // writer last took the buffer are still unreported. Never waits for the reader.
  void append(std::string_view lines);
  // Waits until every line appended so far is written (or dropped), at most
  // `timeout`; false when the time ran out, the reader not reading.
  bool flush(std::chrono::milliseconds timeout);
  // Lines dropped since the writer was made.
  std::uint64_t dropped() const;

 private:
  void run();

  const int fd_;
  const std::size_t max_pending_;
  const DropReport report_;
  mutable std::mutex mu_;
  std::condition_variable work_;   // lines to write, or stopping_
  std::condition_variable idle_;   // nothing pending and nothing being written
  std::string pending_;
  bool writing_ = false;
  bool stopping_ = false;
  int flushing_ = 0;  // callers of flush() waiting: the batch does not gather for them
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_unreported_ = 0;
  std::thread thread_;  // with every signal blocked
};

}  // namespace scalelab::log
