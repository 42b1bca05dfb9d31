// deploy/Dockerfile, statically: both stages on debian:bookworm-slim, a build stage
// that builds only CMake targets that exist, a runtime stage without a toolchain that
// runs as a non-root user with a HEALTHCHECK, and nothing fetched but Debian packages.
// (No Docker engine here: the image itself is never built in these tests.)
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "tests/deploy/binary_help.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/dockerfile.hpp"

namespace scalelab::deploytest {
namespace {

std::vector<Stage> stages() { return parse_dockerfile(read_file(source_dir() / "deploy" / "Dockerfile")); }

const Stage& runtime(const std::vector<Stage>& s) { return s.back(); }

std::vector<const Instruction*> find(const Stage& stage, const std::string& keyword) {
  std::vector<const Instruction*> out;
  for (const auto& in : stage.instructions)
    if (in.keyword == keyword) out.push_back(&in);
  return out;
}

// Executables the project's CMake files define (tests and benchmarks excluded).
std::set<std::string> cmake_executables() {
  std::set<std::string> names;
  const std::regex add_executable(R"(add_executable\(\s*([A-Za-z0-9_.+-]+))");
  for (const char* dir : {"common", "store", "services", "balancer", "lab"})
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir() / dir))
      if (entry.path().filename() == "CMakeLists.txt") {
        const std::string text = read_file(entry.path());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), add_executable); it != std::sregex_iterator(); ++it)
          names.insert((*it)[1]);
      }
  return names;
}

// Words of every RUN in `stage` after `marker` (e.g. "--target") up to the next &&.
std::vector<std::string> words_after(const Stage& stage, const std::string& marker) {
  std::vector<std::string> out;
  for (const auto* run : find(stage, "RUN")) {
    const auto words = command_words(run->args);
    for (std::size_t i = 0; i < words.size(); ++i)
      if (words[i] == marker)
        for (std::size_t j = i + 1; j < words.size() && words[j] != "&&"; ++j) out.push_back(words[j]);
  }
  return out;
}

TEST(Dockerfile, IsMultiStageOnBookwormSlim) {
  const auto s = stages();
  ASSERT_GE(s.size(), 2u);
  for (const auto& stage : s) EXPECT_EQ(stage.image, "debian:bookworm-slim") << "stage " << stage.name;
  EXPECT_EQ(s.front().name, "build");
}

TEST(Dockerfile, BuildStageInstallsEveryDevPackageSetupShDoes) {
  const auto installed = stages().front().apt_packages();
  // What setup.sh installs for a build; the test profile's extras (the fuzzers' clang
  // runtime) are not needed in the image.
  std::string setup = read_file(source_dir() / "scripts" / "setup.sh");
  setup = setup.substr(0, setup.find("if [ \"$profile\" = test ]"));
  const std::regex dev(R"(\b([a-z0-9][a-z0-9.+-]*-dev)\b)");
  int found = 0;
  for (auto it = std::sregex_iterator(setup.begin(), setup.end(), dev); it != std::sregex_iterator(); ++it, ++found)
    EXPECT_TRUE(installed.count((*it)[1])) << (*it)[1] << " is installed by scripts/setup.sh but not in the build stage";
  EXPECT_GT(found, 5);
  for (const char* tool : {"cmake", "ninja-build", "g++", "pkg-config"}) EXPECT_TRUE(installed.count(tool)) << tool;
}

TEST(Dockerfile, BuildsAndCopiesOnlyCMakeTargets) {
  const auto s = stages();
  const auto targets = cmake_executables();
  ASSERT_TRUE(targets.count("scalelab-app")) << "cannot read the CMake files";
  std::set<std::string> built;
  for (const auto& word : words_after(s.front(), "--target")) {
    EXPECT_TRUE(targets.count(word)) << "the Dockerfile builds '" << word << "', which is no CMake target";
    built.insert(word);
  }
  for (const auto& name : image_binaries()) EXPECT_TRUE(built.count(name)) << name << " is not built";

  std::set<std::string> copied;
  for (const auto* copy : find(runtime(s), "COPY")) {
    const auto words = command_words(copy->args);
    if (words.empty() || words[0] != "--from=build") continue;
    for (std::size_t i = 1; i + 1 < words.size(); ++i) {
      const std::string name = std::filesystem::path(words[i]).filename();
      EXPECT_TRUE(built.count(name)) << "the runtime stage copies '" << words[i] << "', which the build stage does not build";
      copied.insert(name);
    }
  }
  for (const auto& name : image_binaries()) EXPECT_TRUE(copied.count(name)) << name << " is not in the runtime image";
}

TEST(Dockerfile, CopiesOnlySourcesThatExist) {
  for (const auto& stage : stages())
    for (const auto* copy : find(stage, "COPY")) {
      const auto words = command_words(copy->args);
      if (!words.empty() && words[0].rfind("--from", 0) == 0) continue;
      for (std::size_t i = 0; i + 1 < words.size(); ++i)
        EXPECT_TRUE(std::filesystem::exists(source_dir() / words[i])) << "COPY " << words[i] << ": no such file";
    }
}

// The build stage compiles what it copies: every top-level folder that a copied CMake
// file names through ${PROJECT_SOURCE_DIR} (cmake/embed_files.cmake, say) is copied too.
TEST(Dockerfile, CopiesEveryFolderTheBuildNames) {
  std::set<std::string> copied;
  for (const auto& stage : stages())
    for (const auto* copy : find(stage, "COPY")) {
      const auto words = command_words(copy->args);
      if (!words.empty() && words[0].rfind("--from", 0) == 0) continue;
      for (std::size_t i = 0; i + 1 < words.size(); ++i) copied.insert(words[i].substr(0, words[i].find('/')));
    }
  const std::regex named(R"(\$\{PROJECT_SOURCE_DIR\}/([A-Za-z0-9_.-]+)/)");
  for (const auto& top : copied) {
    if (!std::filesystem::is_directory(source_dir() / top)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir() / top)) {
      const auto file = entry.path().filename().string();
      if (file != "CMakeLists.txt" && entry.path().extension() != ".cmake") continue;
      const std::string text = read_file(entry.path());
      for (std::sregex_iterator it(text.begin(), text.end(), named), end; it != end; ++it) {
        const std::string needed = (*it)[1];
        // The image never builds tests/ and bench/ (CMake skips them when absent, and
        // the fuzz targets that name tests/ are not part of `all`).
        if (needed == "tests" || needed == "bench") continue;
        EXPECT_TRUE(copied.count(needed)) << entry.path() << " needs " << needed << "/, which the Dockerfile does not copy";
      }
    }
  }
}

// The root .dockerignore (the one docker-compose 1.29 and BuildKit both read) excludes
// everything but what the Dockerfile copies: a source it forgot would be missing from
// the build context.
TEST(Dockerfile, IgnoreFileLetsEveryCopiedSourceThrough) {
  const std::string ignore = read_file(source_dir() / ".dockerignore");
  std::vector<std::string> allowed;
  std::istringstream lines(ignore);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line[0] == '!') allowed.push_back(line.substr(1));
  EXPECT_NE(ignore.find("\n*\n"), std::string::npos) << "the ignore file should start from excluding everything";
  for (const auto& stage : stages())
    for (const auto* copy : find(stage, "COPY")) {
      const auto words = command_words(copy->args);
      if (!words.empty() && words[0].rfind("--from", 0) == 0) continue;
      for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        const bool through = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
          return words[i] == a || (a.back() == '/' && words[i].rfind(a, 0) == 0);
        });
        EXPECT_TRUE(through) << "COPY " << words[i] << " is excluded by .dockerignore";
      }
    }
}

TEST(Dockerfile, RuntimeStageHasNoToolchain) {
  for (const auto& p : runtime(stages()).apt_packages()) {
    EXPECT_EQ(p.find("-dev"), std::string::npos) << p;
    EXPECT_FALSE(p == "g++" || p == "gcc" || p == "cmake" || p == "ninja-build" || p == "curl" || p == "wget") << p;
  }
}

TEST(Dockerfile, RunsAsANumericNonRootUser) {
  const auto s = stages();
  const auto users = find(runtime(s), "USER");
  ASSERT_FALSE(users.empty()) << "the runtime stage has no USER: it would run as root";
  const std::string user = users.back()->args;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(user, m, std::regex(R"((\d+)(:(\d+))?)")))
      << "USER '" << user << "' is not numeric: Kubernetes' runAsNonRoot cannot verify a name";
  EXPECT_NE(m[1].str(), "0");
  if (m[3].matched) {
    EXPECT_NE(m[3].str(), "0");
  }
  bool created = false;
  for (const auto* run : find(runtime(s), "RUN"))
    if (run->args.find("useradd") != std::string::npos && run->args.find("--uid " + m[1].str()) != std::string::npos)
      created = true;
  EXPECT_TRUE(created) << "no useradd creates uid " << m[1];
  // USER must come before the command, or the command would still start as root.
  bool user_seen = false;
  for (const auto& in : runtime(s).instructions) {
    if (in.keyword == "USER") user_seen = true;
    if (in.keyword == "CMD" || in.keyword == "ENTRYPOINT") {
      EXPECT_TRUE(user_seen);
    }
  }
}

TEST(Dockerfile, HasAHealthCheckThatTheImageCanRun) {
  const auto s = stages();
  const auto checks = find(runtime(s), "HEALTHCHECK");
  ASSERT_EQ(checks.size(), 1u);
  const std::string& args = checks[0]->args;
  const auto cmd = args.find("CMD ");
  ASSERT_NE(cmd, std::string::npos) << args;
  const auto words = command_words(args.substr(cmd + 4));
  ASSERT_FALSE(words.empty());
  EXPECT_EQ(words[0], "scalelab-probe");
  EXPECT_NE(std::find(words.begin(), words.end(), "/readyz"), words.end()) << "the check should be readiness";
  // The probe is in the image, and the port it checks is the one the app listens on.
  bool copied = false;
  for (const auto* copy : find(runtime(s), "COPY"))
    if (copy->args.find("deploy/scalelab-probe") != std::string::npos) copied = true;
  EXPECT_TRUE(copied);
  bool listens = false;
  for (const auto* env : find(runtime(s), "ENV"))
    if (env->args.find("SCALELAB_LISTEN=0.0.0.0:8080") != std::string::npos) listens = true;
  EXPECT_TRUE(listens) << "the health check probes 8080: the image must make the app listen there";
  EXPECT_NE(std::find(words.begin(), words.end(), "8080"), words.end());
  const auto perms = std::filesystem::status(source_dir() / "deploy" / "scalelab-probe").permissions();
  EXPECT_NE(perms & std::filesystem::perms::owner_exec, std::filesystem::perms::none) << "scalelab-probe is not executable";
}

TEST(Dockerfile, DefaultCommandIsAnImageBinary) {
  const auto s = stages();
  const auto cmds = find(runtime(s), "CMD");
  ASSERT_FALSE(cmds.empty());
  const auto words = command_words(cmds.back()->args);
  ASSERT_FALSE(words.empty());
  EXPECT_TRUE(image_binaries().count(words[0])) << words[0];
}

TEST(Dockerfile, FetchesNothingButDebianPackages) {
  for (const auto& stage : stages())
    for (const auto* run : find(stage, "RUN"))
      for (const char* fetcher : {"curl ", "wget ", "git clone", "npm ", "pip ", "ADD http"})
        EXPECT_EQ(run->args.find(fetcher), std::string::npos) << "RUN fetches with " << fetcher << ": " << run->args;
  for (const auto& stage : stages()) EXPECT_TRUE(find(stage, "ADD").empty()) << "ADD can fetch URLs; use COPY";
}

}  // namespace
}  // namespace scalelab::deploytest
