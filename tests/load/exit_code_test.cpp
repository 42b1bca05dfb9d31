// The exit codes of the real `scalelab load` binary against the fake app process
// (fake_app.cpp) in broken mode, which loses one session read in three: 3 when
// violations go over what --allow-violations allows (any, by default), 4 when failed
// requests go over --allow-failures and no violation kind crossed, 0 when everything
// found was allowed, the same rules read from the SCALELAB_LOAD_ALLOW_* variables, and
// a run stopped by SIGINT judged on what it measured. Every run ends on its request
// bound or on the signal, never on a clock.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/process.hpp"
#include "tests/load/fake_app_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace scalelab;
using namespace std::chrono_literals;
using loadtest::FakeApp;
using loadtest::kBin;
using nlohmann::json;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One `scalelab load` process with its stdout and stderr in files of their own.
class LoadProcess {
 public:
  LoadProcess(const std::vector<std::string>& load_args, const std::map<std::string, std::string>& env) {
    // The shell only sorts the two streams apart; exec leaves scalelab as the process.
    std::vector<std::string> argv = {"/bin/sh", "-c", R"(exec "$0" "$@" >"$LOAD_OUT" 2>"$LOAD_ERR")", kBin + "scalelab",
                                     "--dir", "/nonexistent/no-lab-here", "load"};
    argv.insert(argv.end(), load_args.begin(), load_args.end());
    std::map<std::string, std::string> all_env = env;
    all_env["LOAD_OUT"] = (dir_ / "out").string();
    all_env["LOAD_ERR"] = (dir_ / "err").string();
    // The test's own environment must not change what these runs allow.
    proc_ = process::Process::spawn({.argv = argv,
                                     .env = all_env,
                                     .unset_env = unset_unless_given(env),
                                     .log_path = (dir_ / "shell.log").string()});
  }
  process::Process& process() { return proc_; }
  std::string out() const { return read_file(dir_ / "out"); }
  std::string err() const { return read_file(dir_ / "err"); }

 private:
  static std::vector<std::string> unset_unless_given(const std::map<std::string, std::string>& env) {
    std::vector<std::string> unset;
    for (const char* name : {"SCALELAB_LOAD_ALLOW_VIOLATIONS", "SCALELAB_LOAD_ALLOW_FAILURES"})
      if (!env.count(name)) unset.push_back(name);
    return unset;
  }

  testkit::TempDir dir_{"scalelab-load-exit"};
  process::Process proc_;
};

struct Finished {
  int code = -1;
  json summary;     // stdout: the LoadResult JSON with its verdict
  std::string err;  // stderr
};

// Runs `scalelab load` to its request bound against `target` with `mix` plus `extra`.
Finished run_binary(const std::string& target, const std::string& mix, const std::vector<std::string>& extra = {},
                  const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> args = {"--target", target, "--users", "2", "--mix", mix, "--path", "/fake/status?code=503",
                                   "--max-requests", "300", "--duration", "60s", "--seed", "7", "--output", "json",
                                   "--progress", "none"};
  args.insert(args.end(), extra.begin(), extra.end());
  LoadProcess load(args, env);
  const auto status = load.process().wait_for(60s);
  Finished f;
  f.err = load.err();
  if (!status || status->signaled) {
    ADD_FAILURE() << "scalelab load " << (status ? status->describe() : "still running after 60 s") << ": " << f.err;
    return f;
  }
  f.code = status->code;
  f.summary = json::parse(load.out(), nullptr, false);
  EXPECT_TRUE(f.summary.is_object()) << "stdout is not the JSON summary: " << load.out();
  return f;
}

std::vector<std::string> crossed_names(const json& summary) {
  std::vector<std::string> names;
  for (const auto& c : summary.value("verdict", json::object()).value("crossed", json::array()))
    names.push_back(c.at("name").get<std::string>());
  return names;
}

}  // namespace

TEST(LoadExitCodes, ViolationsExitThreeUnlessAllowed) {
  FakeApp app("broken", 1000000);  // no rate limit to exceed: session_lost is the only violation
  const Finished strict = run_binary(app.target(), "session=1");
  EXPECT_EQ(strict.code, 3) << strict.err;
  EXPECT_EQ(strict.summary["verdict"]["exit_code"], 3);
  EXPECT_EQ(crossed_names(strict.summary), std::vector<std::string>{"session_lost"});
  EXPECT_GT(strict.summary["totals"]["violations"]["session_lost"].get<int>(), 0);
  EXPECT_EQ(strict.summary["totals"]["errors"], 0);
  EXPECT_EQ(strict.err.rfind("scalelab: exit 3: violations over their thresholds; session_lost: ", 0), 0u)
      << strict.err;
  EXPECT_EQ(std::count(strict.err.begin(), strict.err.end(), '\n'), 1) << "one line: " << strict.err;

  // One session read in three is lost: about 33 % of the session checks.
  for (const char* allowed : {"", "all", "session_lost", "session_lost=50%", "session_lost=1000000"}) {
    const Finished f = run_binary(app.target(), "session=1", {"--allow-violations", allowed});
    EXPECT_EQ(f.code, 0) << "--allow-violations '" << allowed << "': " << f.err;
    EXPECT_EQ(f.summary["verdict"]["exit_code"], 0) << allowed;
    EXPECT_TRUE(crossed_names(f.summary).empty()) << allowed;
    EXPECT_EQ(f.err, "") << allowed;
  }
  for (const char* allowed : {"none", "session_lost=10%", "session_lost=2", "stale_read=50%"}) {
    const Finished f = run_binary(app.target(), "session=1", {"--allow-violations", allowed});
    EXPECT_EQ(f.code, 3) << "--allow-violations '" << allowed << "': " << f.err;
    EXPECT_EQ(crossed_names(f.summary), std::vector<std::string>{"session_lost"}) << allowed;
  }
  // The flag alone, followed by another flag.
  const Finished alone = run_binary(app.target(), "session=1", {"--allow-violations", "--threads", "1"});
  EXPECT_EQ(alone.code, 0) << alone.err;
}

TEST(LoadExitCodes, TheEnvironmentSaysWhatIsAllowedAsTheFlagsDo) {
  FakeApp app("broken", 1000000);
  const std::map<std::string, std::string> all_allowed = {{"SCALELAB_LOAD_ALLOW_VIOLATIONS", "all"}};
  EXPECT_EQ(run_binary(app.target(), "session=1", {}, all_allowed).code, 0);
  EXPECT_EQ(run_binary(app.target(), "session=1", {}, {{"SCALELAB_LOAD_ALLOW_VIOLATIONS", "session_lost=10%"}}).code,
            3);
  EXPECT_EQ(run_binary(app.target(), "get=1", {}, {{"SCALELAB_LOAD_ALLOW_FAILURES", "100%"}}).code, 0);
  EXPECT_EQ(run_binary(app.target(), "get=1", {}, {{"SCALELAB_LOAD_ALLOW_FAILURES", "10"}}).code, 4);
  // A flag wins over its variable.
  EXPECT_EQ(run_binary(app.target(), "session=1", {"--allow-violations", "none"}, all_allowed).code, 3);
}

TEST(LoadExitCodes, FailedRequestsExitFourAndViolationsWinOverThem) {
  FakeApp app("broken", 1000000);
  // Every `get` is answered 503: failed requests, and no violation.
  const Finished failed = run_binary(app.target(), "get=1");
  EXPECT_EQ(failed.code, 4) << failed.err;
  EXPECT_EQ(crossed_names(failed.summary), std::vector<std::string>{"failed"});
  EXPECT_EQ(failed.summary["verdict"]["crossed"][0]["count"], failed.summary["totals"]["errors"]);
  EXPECT_EQ(failed.err.rfind("scalelab: exit 4: failed requests over their threshold; failed: ", 0), 0u) << failed.err;
  EXPECT_EQ(run_binary(app.target(), "get=1", {"--allow-failures", "100%"}).code, 0);
  EXPECT_EQ(run_binary(app.target(), "get=1", {"--allow-failures", "50%"}).code, 4);
  EXPECT_EQ(run_binary(app.target(), "get=1", {"--allow-failures", "1000"}).code, 0) << "300 requests, 1000 allowed";

  // Both: lost sessions and 503s. Violations are the more important finding.
  const Finished both = run_binary(app.target(), "session=1,get=1");
  EXPECT_EQ(both.code, 3) << both.err;
  EXPECT_EQ(crossed_names(both.summary), (std::vector<std::string>{"session_lost", "failed"}));
  EXPECT_EQ(run_binary(app.target(), "session=1,get=1", {"--allow-violations"}).code, 4);
  EXPECT_EQ(run_binary(app.target(), "session=1,get=1", {"--allow-violations", "--allow-failures", "100%"}).code, 0);
}

TEST(LoadExitCodes, TheTableStatesTheVerdict) {
  FakeApp app("broken", 1000000);
  LoadProcess load({"--target", app.target(), "--users", "2", "--mix", "session=1", "--max-requests", "300",
                    "--duration", "60s", "--progress", "none", "--allow-violations", "session_lost=10%"},
                   {});
  const auto status = load.process().wait_for(60s);
  ASSERT_TRUE(status && !status->signaled) << (status ? status->describe() : "still running");
  EXPECT_EQ(status->code, 3) << load.err();
  const std::string table = load.out();
  EXPECT_NE(table.find("\n  verdict      exit 3: violations over their thresholds\n"
                       "               session_lost: "),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("session checks"), std::string::npos) << table;
  EXPECT_NE(table.find(", allowed 10%\n"), std::string::npos) << table;
}

// Ctrl-C ends the run early; the summary is printed and the exit code follows the same
// rules on what was measured. The signal goes out once a one-second sample (progress
// as JSON on stderr) shows a lost session.
TEST(LoadExitCodes, ARunStoppedBySigintIsJudgedOnWhatItMeasured) {
  FakeApp app("broken", 1000000);
  LoadProcess load({"--target", app.target(), "--users", "2", "--mix", "session=1", "--duration", "120s", "--output",
                    "json", "--progress", "json"},
                   {});
  bool lost = false;
  for (int i = 0; i < 600 && !lost; ++i) {
    std::this_thread::sleep_for(100ms);
    std::istringstream lines(load.err());
    for (std::string line; !lost && std::getline(lines, line);) {
      const json sample = json::parse(line, nullptr, false);
      lost = sample.is_object() && sample.contains("violations") && sample["violations"].value("session_lost", 0) > 0;
    }
  }
  ASSERT_TRUE(lost) << "no sample showed a lost session: " << load.err();
  load.process().signal(SIGINT);
  const auto status = load.process().wait_for(30s);
  ASSERT_TRUE(status && !status->signaled) << (status ? status->describe() : "still running 30 s after SIGINT");
  EXPECT_EQ(status->code, 3) << load.err();
  const json summary = json::parse(load.out(), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << load.out();
  EXPECT_EQ(summary["stop_reason"], "stopped");
  EXPECT_EQ(summary["verdict"]["exit_code"], 3);
  EXPECT_EQ(crossed_names(summary), std::vector<std::string>{"session_lost"});
}
