// Parses the words of `scalelab fault LINK TOXIC k=v ...`. People type them, so the
// parser is careful and its one-line errors name the bad word.
// The CLI and the experiment runner both turn such argument lists into the JSON toxic
// body the fault proxy's API takes; neither should re-implement it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::faultproxy {

// A one-line, human-readable complaint about `fault` arguments.
class FaultArgsError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct FaultCommand {
  enum class Action { add, remove, clear, list };
  Action action = Action::list;
  std::string link;        // empty for list
  std::string toxic_name;  // for remove
  nlohmann::json toxic;    // for add: a body parse_toxic_spec accepts, defaults filled in
};

// Parses the words after `fault`:
//   list
//   LINK clear
//   LINK remove NAME
//   LINK TOXIC [k=v ...]   keys: name, direction, toxicity, and TOXIC's attributes
// e.g. {"redis", "latency", "latency=200", "jitter=20", "direction=downstream",
// "toxicity=0.5"}. LINK must be one of `links`. Throws FaultArgsError.
FaultCommand parse_fault_command(const std::vector<std::string>& args,
                                 const std::vector<std::string>& links = {"redis", "s3"});

// Turns `TOXIC k=v ...` into a validated JSON toxic body. Throws FaultArgsError.
nlohmann::json toxic_from_args(const std::string& type, const std::vector<std::string>& key_values);

// The usage text for `fault`, listing each toxic with its attributes and units.
std::string fault_usage();

}  // namespace scalelab::faultproxy
