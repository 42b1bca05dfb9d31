#include "tests/deploy/deploy_files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef SCALELAB_SOURCE_DIR
#define SCALELAB_SOURCE_DIR "."
#endif
#ifndef SCALELAB_BINARY_DIR
#define SCALELAB_BINARY_DIR "."
#endif

namespace scalelab::deploytest {

std::filesystem::path source_dir() { return SCALELAB_SOURCE_DIR; }

std::filesystem::path binary(const std::string& name) { return std::filesystem::path(SCALELAB_BINARY_DIR) / "bin" / name; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  const std::filesystem::path& cwd, std::chrono::seconds timeout) {
  testkit::TempDir dir("scalelab-deploy-run");
  process::SpawnOptions options;
  options.argv = argv;
  options.env = env;
  options.cwd = cwd.string();
  options.log_path = (dir / "output").string();
  CommandResult result;
  process::Process proc;
  try {
    proc = process::Process::spawn(options);
  } catch (const std::exception& e) {
    result.output = e.what();
    return result;
  }
  auto status = proc.wait_for(timeout);
  try {
    result.output = read_file(dir / "output");
  } catch (const std::runtime_error&) {
  }
  if (!status) {
    proc.stop(std::chrono::seconds(1));
    result.output += "\n(timed out after " + std::to_string(timeout.count()) + " s)";
    return result;
  }
  result.ran = true;
  result.exit_code = status->signaled ? 128 + status->signal : status->code;
  return result;
}

std::optional<std::string> tool(const std::string& name) { return process::find_executable(name); }

}  // namespace scalelab::deploytest
