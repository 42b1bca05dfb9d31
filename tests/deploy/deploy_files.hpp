// Shared plumbing for the deploy/ tests: where the repository and the built binaries
// are, reading files, and running a command to completion with its output captured.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::deploytest {

std::filesystem::path source_dir();                     // the repository root
std::filesystem::path binary(const std::string& name);  // <build>/bin/<name>

// The whole file; throws std::runtime_error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

struct CommandResult {
  bool ran = false;       // false: the program could not be started, or timed out
  int exit_code = -1;     // valid when ran
  std::string output;     // stdout and stderr, interleaved
};

// Runs argv (argv[0] looked up on PATH) in `cwd` with `env` added, waits up to
// `timeout`, and returns what it printed.
CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                  const std::filesystem::path& cwd = {}, std::chrono::seconds timeout = std::chrono::seconds(60));

// The absolute path of a tool on PATH, or nullopt (tests skip with a message then).
std::optional<std::string> tool(const std::string& name);

}  // namespace scalelab::deploytest
