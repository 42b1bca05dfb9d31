// How the READMEs' runnable blocks are read and judged, apart from running them, so the
// rules below are unit-tested on their own (walkthrough_test.cpp).
//
// A runnable block is a fenced block whose opening fence follows a line that starts
// with `<!-- doctest` (an HTML comment, so GitHub shows nothing of it). In it, a line
// `$ COMMAND` is a command, run by bash; the lines under it, up to the next command,
// are what it must print (stdout and stderr together), as in a cram test:
//  - runs of spaces count as one, and trailing spaces are ignored, so tables may be
//    aligned for the lab's default ports and still match a lab on other ports;
//  - `...` inside a line stands for any text (times, pids, paths, figures);
//  - a line that is only `...` stands for any number of lines, none included;
//  - a command with no lines under it must print nothing.
// The docs show a lab on the default base port 8080; ports_for() moves every port of
// that lab (8080 to 8080 + Ports::kSpan, after `:` or `port `) to the test's own lab.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace scalelab::doctest {

struct Step {
  std::string command;
  std::vector<std::string> expected;
  int line = 0;  // of the command, 1-based
};

struct Block {
  std::string file;  // the path it was read from
  int line = 0;  // of the opening fence
  std::vector<Step> steps;
};

// The runnable blocks of a markdown file, in order. Throws std::runtime_error when the
// file cannot be read or a marker is not followed by a fenced block.
std::vector<Block> runnable_blocks(const std::filesystem::path& markdown);

// `text` with each port of a lab on base port 8080 moved to the same offset from `base`.
std::string ports_for(const std::string& text, std::uint16_t base);

// True when `actual` (one output line per element) is what `expected` shows.
bool output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual);

}  // namespace scalelab::doctest
