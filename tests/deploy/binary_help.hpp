// What a scalelab binary accepts, read from its own --help (CLI11 prints every flag
// and, next to it, "(Env:NAME)" for its environment variable). The deploy files must
// pass nothing else: a misspelt variable would be silently ignored in a container.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace scalelab::deploytest {

// What --help says a value must look like: CLI11 prints the type (INT, UINT, FLOAT,
// TEXT), ranges ("INT in [1 - 64]"), choices ("{auto,line}" or "a|b|c") and the
// project's validator names (HOST:PORT, LOOPBACK, DURATION).
struct ValueRule {
  std::string type;                    // INT, UINT, FLOAT, TEXT, ...
  std::set<std::string> choices;       // empty: any
  std::optional<double> min, max;      // a numeric range
  std::string validator;               // HOST:PORT, LOOPBACK, DURATION or ""
  // "" when `value` is acceptable, else why not.
  std::string check(const std::string& value) const;
};

struct Accepted {
  std::set<std::string> flags;  // "--listen", ...
  std::set<std::string> env;    // "SCALELAB_LISTEN", ...
  std::map<std::string, ValueRule> flag_rules;  // by flag
  std::map<std::string, ValueRule> env_rules;   // by variable
  std::string help;             // the text, for failure messages
};

// Parses CLI11 help text.
Accepted parse_help(const std::string& help);

// The binaries the deploy files may run, as `command[0]` (plus the subcommand for
// `scalelab`, e.g. {"scalelab", "load"}). Runs `<build>/bin/<name> [sub] --help` once
// per command and caches it. Throws std::runtime_error when the binary is missing or
// --help fails.
class HelpCache {
 public:
  const Accepted& get(const std::vector<std::string>& command);

 private:
  std::map<std::vector<std::string>, Accepted> cache_;
};

// The scalelab binaries an image built by deploy/Dockerfile contains.
const std::set<std::string>& image_binaries();

// Problems with one invocation of a scalelab binary: argv[0] not one of ours, a flag
// or an environment variable its --help does not list (libpq's own, such as
// PGPASSWORD, are allowed to an app with a database URL), or a value its --help says it
// refuses. `env` maps each variable to its value, or nullopt when the value is not
// known here (a Kubernetes secretKeyRef). `where` prefixes each message.
std::vector<std::string> check_invocation(HelpCache& help, const std::string& where, const std::vector<std::string>& argv,
                                          const std::map<std::string, std::optional<std::string>>& env);

}  // namespace scalelab::deploytest
