// How a toxic is described, whichever way it enters the lab: the HTTP API's JSON body,
// the `scalelab fault` arguments, the supervisor. The description, the shape of the
// catalog of toxic types (each toxic's file under toxics/ fills in its entry), and the
// validation live here once. Every entry point
// gets the same defaults and the same error messages, each naming the bad key.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::faultproxy {

// Which way the bytes a toxic acts on travel, in Toxiproxy's terms: upstream is
// client -> server (requests), downstream is server -> client (responses).
enum class Direction { upstream, downstream, both };

std::string_view to_string(Direction direction);
std::optional<Direction> parse_direction(std::string_view text);

// One numeric attribute of a toxic type. Values are doubles within [min, max];
// `required` attributes have no default.
struct AttributeInfo {
  std::string_view name;
  double default_value = 0;
  double min = 0;
  double max = 0;
  bool required = false;
  std::string_view unit;
  std::string_view help;
};

struct ToxicTypeInfo {
  std::string_view type;
  std::string_view help;
  std::vector<AttributeInfo> attributes;
};

// No delay in the lab needs more than a day: the upper bound of time attributes.
inline constexpr double kDayMs = 86'400'000;

// Every toxic type the proxy knows, in the registry's order (toxics/toxics.hpp):
// latency, bandwidth, timeout, reset_peer, slow_close, down.
const std::vector<ToxicTypeInfo>& toxic_types();
const ToxicTypeInfo* find_toxic_type(std::string_view type);
// "latency, bandwidth, ..." for error messages and help.
std::string toxic_type_names();

struct ToxicSpec {
  std::string type;
  std::string name;  // unique within a proxy; defaults to "<type>_<direction>"
  Direction direction = Direction::downstream;
  double toxicity = 1.0;  // fraction of connections affected, decided per connection
  std::map<std::string, double> attributes;  // every attribute of the type, defaults filled in

  // The attribute's value; throws std::out_of_range for a name the type lacks.
  double attribute(const std::string& attr) const { return attributes.at(attr); }
  // {"name","type","direction","toxicity","attributes":{...}}
  nlohmann::json to_json() const;
};

// A toxic description that cannot be accepted. `key` is the offending field
// ("type", "toxicity", "attributes.latency", ...); what() is one human sentence.
class SpecError : public std::invalid_argument {
 public:
  SpecError(std::string key, const std::string& message) : std::invalid_argument(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Validates a JSON toxic body {"type", "name"?, "direction"?, "toxicity"?,
// "attributes"?} and fills in defaults. Unknown keys, unknown types or attributes,
// wrong JSON types and out-of-range numbers throw SpecError.
ToxicSpec parse_toxic_spec(const nlohmann::json& body);

// True for names safe in a URL path segment: 1..64 of [A-Za-z0-9_.-].
bool valid_name(std::string_view name);

}  // namespace scalelab::faultproxy
