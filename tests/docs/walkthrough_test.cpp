// The walkthroughs of README.md and lab/README.md, run as a new user would run them,
// and held to the output they show (doc_blocks.hpp has the rules), so the docs cannot
// drift from the lab. Each runnable block gets a lab of its own: a temporary folder as
// the working directory, with `build/bin` linked to this build, `$SCALELAB_DIR` and
// `$SCALELAB_BASE_PORT` pointing `scalelab` at the folder and at free ports, and the
// docs' ports moved to those. Nothing is written into the source tree. `up` may wait
// up to 180 s for the lab ($SCALELAB_UP_TIMEOUT; the docs' commands leave it at 60 s),
// since on a busy 2-core machine three instances can take longer than that to answer
// their first readiness check. A block has kBlockTimeout to finish; whatever it left
// running is brought down and killed by the LabHarness, also when the block failed.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "tests/docs/doc_blocks.hpp"
#include "tests/lab/lab_harness.hpp"

namespace scalelab::doctest {
namespace {

namespace fs = std::filesystem;

constexpr auto kBlockTimeout = std::chrono::seconds(480);
constexpr std::string_view kMarker = "@@doctest-step ";

// What one command printed, and how it exited.
struct Ran {
  std::vector<std::string> lines;
  int exit_code = -1;
};

// One bash script for the whole block, so that variables ($jar) live from one command
// to the next. Before each command and at the end it prints a marker line carrying the
// exit code of the command before it.
std::string script_for(const Block& block, std::uint16_t base) {
  std::string s = "exec 2>&1\n";
  for (std::size_t i = 0; i < block.steps.size(); ++i) {
    s += "printf '\\n" + std::string(kMarker) + "%s@@\\n' \"$?\"\n";
    s += ports_for(block.steps[i].command, base) + "\n";
  }
  s += "printf '\\n" + std::string(kMarker) + "%s@@\\n' \"$?\"\n";
  return s;
}

// Splits the transcript at the markers: one Ran per command.
std::vector<Ran> split_transcript(const std::string& transcript) {
  std::vector<Ran> ran;
  std::istringstream in(transcript);
  bool started = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(kMarker, 0) == 0) {
      if (started) {
        // The blank line before each marker is the script's, not the command's.
        auto& lines = ran.back().lines;
        while (!lines.empty() && lines.back().empty()) lines.pop_back();
        ran.back().exit_code = std::stoi(line.substr(kMarker.size()));
      }
      ran.push_back({});
      started = true;
    } else if (started) {
      ran.back().lines.push_back(line);
    }
  }
  if (!ran.empty()) ran.pop_back();  // the end marker opens nothing
  return ran;
}

void run_block(const Block& block) {
  SCOPED_TRACE(block.file + ", block at line " + std::to_string(block.line));
  testkit::LabHarness lab;
  const fs::path home = lab.dir().path();
  fs::create_directories(home / "build");
  fs::create_directory_symlink(fs::path(SCALELAB_BINARY_DIR) / "bin", home / "build" / "bin");
  fs::create_directory_symlink(fs::path(SCALELAB_SOURCE_DIR) / "experiments", home / "experiments");
  {
    std::ofstream(home / "walkthrough.sh") << script_for(block, lab.base_port());
  }

  process::SpawnOptions o;
  o.argv = {"bash", (home / "walkthrough.sh").string()};
  o.cwd = home.string();
  o.env = {{"SCALELAB_DIR", lab.lab_dir().string()},
           {"SCALELAB_BASE_PORT", std::to_string(lab.base_port())},
           {"SCALELAB_UP_TIMEOUT", "180"}};
  o.log_path = (home / "transcript.txt").string();
  auto p = process::Process::spawn(o);
  const auto status = p.wait_for(kBlockTimeout);
  if (!status) {
    p.signal(SIGKILL);
    p.wait();
  }
  std::ifstream in(home / "transcript.txt");
  std::stringstream transcript;
  transcript << in.rdbuf();
  ASSERT_TRUE(status) << "the block did not finish within " << kBlockTimeout.count() << " s; so far:\n" << transcript.str();

  const std::vector<Ran> ran = split_transcript(transcript.str());
  ASSERT_EQ(ran.size(), block.steps.size()) << transcript.str();
  for (std::size_t i = 0; i < ran.size(); ++i) {
    const Step& step = block.steps[i];
    std::vector<std::string> expected;
    for (const auto& line : step.expected) expected.push_back(ports_for(line, lab.base_port()));
    std::string shown, got;
    for (const auto& line : expected) shown += "  | " + line + "\n";
    for (const auto& line : ran[i].lines) got += "  | " + line + "\n";
    EXPECT_EQ(ran[i].exit_code, 0) << block.file << ":" << step.line << ": `" << step.command << "` failed:\n" << got;
    EXPECT_TRUE(output_matches(expected, ran[i].lines))
        << block.file << ":" << step.line << ": `" << step.command << "`\nthe docs show:\n"
        << shown << "it printed:\n"
        << got;
  }
}

// The runnable blocks of a file of the source tree, named by their path in it.
std::vector<Block> blocks_of(const std::string& relative) {
  std::vector<Block> blocks = runnable_blocks(fs::path(SCALELAB_SOURCE_DIR) / relative);
  for (auto& block : blocks) block.file = relative;
  return blocks;
}

TEST(DocBlocks, ReadsCommandsAndTheirOutputFromMarkedBlocksOnly) {
  testkit::TempDir dir("scalelab-docs");
  std::ofstream(dir / "x.md") << "```sh\n$ not run\n```\n"
                                 "<!-- doctest: this one -->\n```console\n$ echo a\na\n$ true\n$ printf 'b\\nc\\n'\nb\n...\n```\n";
  const auto blocks = runnable_blocks(dir / "x.md");
  ASSERT_EQ(blocks.size(), 1u);
  ASSERT_EQ(blocks[0].steps.size(), 3u);
  EXPECT_EQ(blocks[0].steps[0].command, "echo a");
  EXPECT_EQ(blocks[0].steps[0].expected, std::vector<std::string>{"a"});
  EXPECT_TRUE(blocks[0].steps[1].expected.empty());
  EXPECT_EQ(blocks[0].steps[2].line, 9);
  EXPECT_EQ(blocks[0].steps[2].expected, (std::vector<std::string>{"b", "..."}));
}

TEST(DocBlocks, EllipsisAndSpacesMatchAsDocumented) {
  using V = std::vector<std::string>;
  EXPECT_TRUE(output_matches({"lab up in ... s: 3 instances"}, {"lab up in 2.7 s: 3 instances"}));
  EXPECT_FALSE(output_matches({"lab up in ... s: 3 instances"}, {"lab up in 2.7 s: 2 instances"}));
  EXPECT_TRUE(output_matches({"app-1     app   ...   ready   ..."}, {"app-1 app 3731 127.0.0.1:18311 ready 5.3s 0"}));
  EXPECT_TRUE(output_matches({"a", "...", "z"}, {"a", "z"}));
  EXPECT_TRUE(output_matches({"a", "...", "z"}, {"a", "b", "c", "z"}));
  EXPECT_FALSE(output_matches({"a", "...", "z"}, {"a", "b"}));
  EXPECT_FALSE(output_matches(V{}, {"unexpected"}));
  EXPECT_FALSE(output_matches({"a"}, {"a", "more"}));
  EXPECT_TRUE(output_matches({"..."}, V{}));
  EXPECT_FALSE(output_matches({"abc...abc"}, {"abc"}));
}

TEST(DocBlocks, MovesTheDocsPortsToTheTestLab) {
  EXPECT_EQ(ports_for("curl localhost:8080/api/me", 20000), "curl localhost:20000/api/me");
  EXPECT_EQ(ports_for("base port 8080, app-1 127.0.0.1:8091, admin :8141", 20000),
            "base port 20000, app-1 127.0.0.1:20011, admin :20061");
  EXPECT_EQ(ports_for("redis :6379 and 4568, 8080 alone", 20000), "redis :6379 and 4568, 8080 alone");
}

TEST(Walkthroughs, EveryReadmeHasARunnableBlock) {
  EXPECT_FALSE(blocks_of("README.md").empty());
  EXPECT_FALSE(blocks_of("lab/README.md").empty());
}

TEST(Walkthroughs, ReadmeRunsAsShown) {
  for (const auto& block : blocks_of("README.md")) run_block(block);
}

TEST(Walkthroughs, LabReadmeRunsAsShown) {
  for (const auto& block : blocks_of("lab/README.md")) run_block(block);
}

}  // namespace
}  // namespace scalelab::doctest
