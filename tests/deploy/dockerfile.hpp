// A reader for deploy/Dockerfile, enough for the tests: instructions per stage, with
// line continuations joined and comments dropped, plus the package lists that
// `apt-get install` lines name.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace scalelab::deploytest {

struct Instruction {
  std::string keyword;  // upper case: FROM, RUN, COPY, ...
  std::string args;     // the rest, continuations joined with spaces
};

struct Stage {
  std::string image;  // FROM <image>
  std::string name;   // AS <name>, or ""
  std::vector<Instruction> instructions;
  // Packages named by `apt-get install` in this stage's RUN instructions.
  std::set<std::string> apt_packages() const;
};

std::vector<Stage> parse_dockerfile(const std::string& text);

// Splits a JSON exec form (["a", "b"]) into its words; shell form is split on spaces.
std::vector<std::string> command_words(const std::string& args);

}  // namespace scalelab::deploytest
