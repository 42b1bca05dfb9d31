// The runtime stage of deploy/Dockerfile installs every shared library the binaries
// load: `ldd` on the binaries built here (same Debian 12 packages as the image's build
// stage), each library mapped to its Debian package with `dpkg -S`, compared with the
// stage's `apt-get install` list plus what debian:bookworm-slim already has.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/deploy/binary_help.hpp"
#include "tests/deploy/deploy_files.hpp"
#include "tests/deploy/dockerfile.hpp"

namespace scalelab::deploytest {
namespace {

// Packages every debian:bookworm-slim image has (apt and dpkg need them).
const std::set<std::string> kInBaseImage{"libc6", "libgcc-s1", "libstdc++6", "zlib1g"};

std::string package_of(const std::string& library_path) {
  // By folder and name, so that /lib and /usr/lib (merged /usr) both match, and a
  // multilib copy of the same name (/lib32/libm.so.6) does not.
  const std::filesystem::path path(library_path);
  const auto result = run({"dpkg", "-S", "*/" + path.parent_path().filename().string() + "/" + path.filename().string()});
  if (!result.ran || result.exit_code != 0) return "";
  // "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3"
  const std::string first_line = result.output.substr(0, result.output.find('\n'));
  return first_line.substr(0, first_line.find_first_of(":,"));
}

// `packages` and everything they depend on, as Debian 12 on this machine says (apt
// installs a package's Depends with it): "libpq5" brings libgssapi-krb5-2, libldap...
std::set<std::string> with_dependencies(std::set<std::string> packages) {
  std::vector<std::string> todo(packages.begin(), packages.end());
  while (!todo.empty()) {
    const std::string p = todo.back();
    todo.pop_back();
    const auto result = run({"dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p});
    if (!result.ran || result.exit_code != 0) continue;
    // "libc6 (>= 2.34), libgssapi-krb5-2 (>= 1.17), a | b": every name, alternatives included.
    static const std::regex name(R"((?:^|[,|]\s*)([a-z0-9][a-z0-9+.-]*))");
    for (std::sregex_iterator it(result.output.begin(), result.output.end(), name), end; it != end; ++it) {
      const std::string dep = (*it)[1];
      if (packages.insert(dep).second) todo.push_back(dep);
    }
  }
  return packages;
}

TEST(DockerfileRuntime, InstallsEveryLibraryTheBinariesLoad) {
  if (!tool("ldd") || !tool("dpkg")) GTEST_SKIP() << "ldd or dpkg is not installed; cannot map libraries to packages";
  const auto stages = parse_dockerfile(read_file(source_dir() / "deploy" / "Dockerfile"));
  const auto installed = with_dependencies(stages.back().apt_packages());
  const std::regex library(R"(=>\s+(/\S+))");
  for (const auto& name : image_binaries()) {
    const auto bin = binary(name);
    if (!std::filesystem::exists(bin)) GTEST_SKIP() << bin << " is not built";
    const auto ldd = run({"ldd", bin.string()});
    ASSERT_TRUE(ldd.ran && ldd.exit_code == 0) << ldd.output;
    std::istringstream lines(ldd.output);
    std::string line;
    while (std::getline(lines, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, library)) continue;
      const std::string path = m[1];
      // Sanitizer runtimes come with a SCALELAB_SANITIZE build, never with the image's.
      if (path.find("libasan") != std::string::npos || path.find("libubsan") != std::string::npos) continue;
      const std::string package = package_of(path);
      ASSERT_FALSE(package.empty()) << "no Debian package owns " << path << " (" << name << ")";
      EXPECT_TRUE(installed.count(package) || kInBaseImage.count(package))
          << name << " loads " << path << " from " << package << ", which the runtime stage does not install";
    }
  }
}

}  // namespace
}  // namespace scalelab::deploytest
