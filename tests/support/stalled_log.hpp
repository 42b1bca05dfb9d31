// A log reader that stops reading: a named pipe that a server logs into, held open
// and left unread, as a stalled log shipper or a paused `docker logs` leaves it; then
// read to the end, to see what the server made of it.
#pragma once

#include <chrono>
#include <string>

#include "common/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace scalelab::testkit {

// What a log says of itself: its lines, and the lines it says it dropped.
struct LogTally {
  int lines = 0;         // whole JSON lines
  std::string broken;    // the first line that is not a whole JSON object, if any
  double reported = 0;   // the sum of the "dropped" fields of its drop reports
  int matching = 0;      // lines whose field has the value asked about
};

class StalledLogReader {
 public:
  StalledLogReader();  // throws std::system_error if the pipe cannot be made
  ~StalledLogReader();
  StalledLogReader(const StalledLogReader&) = delete;
  StalledLogReader& operator=(const StalledLogReader&) = delete;

  // Where the server should log (SpawnOptions::log_path, or a shell's 2>).
  const std::string& path() const { return path_; }
  // Reads again, until `server` has ended and every byte it wrote is read, at most
  // `timeout`. Returns everything read.
  std::string read_until_ended(process::Process& server, std::chrono::milliseconds timeout);

 private:
  TempDir dir_{"scalelab-stalled-log"};
  std::string path_;
  int fd_ = -1;
};

// Tallies `text`, one JSON object a line, counting the lines where `field` is `value`
// (an access line's path, say).
LogTally tally_log(const std::string& text, const std::string& field, const std::string& value);

// The end of a stalled-log test: `server` answered `requests` requests whose access
// lines have `field` equal to `value`, and its metric counted `dropped` lines. Stops
// it with SIGTERM while the log is read again, and expects exit 0, whole JSON lines,
// every drop reported, and every request with its line or a place among the dropped.
void expect_sigterm_ends_with_every_line_accounted(process::Process& server, StalledLogReader& log,
                                                   const std::string& field, const std::string& value,
                                                   int requests, double dropped);

}  // namespace scalelab::testkit
